// The agent's proxy beside nginx (Debian's package), as docs/speed.md reports, in one run:
//   a direct call to the upstream                                   (the floor: p50, p99)
//   the same call through `keap-auth agent` (pacing off)            (p50, p99, added latency)
//   the same call through nginx as a reverse proxy with a fixed Authorization header and upstream
//   keep-alive                                                      (p50, p99, added latency)
//   requests a second through each at 64 connections, and the agent's memory with 1,000 callers open
// All three in front of the same loopback upstream: an in-process emulator with its limits out of the
// way. Nothing is asserted.
#include "bench_support.hpp"
#include "emulator/server.hpp"
#include "oauth/token_client.hpp"
#include "util/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace keap::bench;
using Clock = std::chrono::steady_clock;

namespace {

int connect_tcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}




struct Way {
  const char* name;
  int port;
  std::string request;
  std::vector<double> latencies;
  double per_second = 0;
};

/// `count` requests one after the other on one connection; their times in µs.
std::vector<double> latencies_of(int port, const std::string& request, int count) {
  int fd = connect_tcp(port);
  std::string buffer;
  std::vector<double> times;
  for (int i = 0; i < count; ++i) {
    auto started = Clock::now();
    if (!ask(fd, request, buffer)) {
      std::fprintf(stderr, "bench_proxy: request %d failed on port %d: %.300s\n", i, port, buffer.c_str());
      std::exit(1);
    }
    times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
  }
  ::close(fd);
  return times;
}

/// Requests a second over `connections` kept-alive connections for `seconds`.
double throughput(int port, const std::string& request, int connections, int seconds) {
  std::atomic<long> answered{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < connections; ++i) {
    callers.emplace_back([&] {
      int fd = connect_tcp(port);
      std::string buffer;
      while (!stop && ask(fd, request, buffer)) {
        ++answered;
      }
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds)); // the measuring window
  stop = true;
  for (auto& caller : callers) {
    caller.join();
  }
  return static_cast<double>(answered.load()) / seconds;
}

/// Starts `argv` with stdout and stderr to `log`.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> args;
    for (const auto& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

bool wait_for_port(int port) {
  for (int i = 0; i < 500; ++i) {
    int fd = connect_tcp(port);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10)); // the server is starting
  }
  return false;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_proxy KEAP_AUTH_BINARY [REQUESTS] [NGINX]\n");
    return 2;
  }
  std::string keap_auth = argv[1];
  int requests = argc > 2 ? std::atoi(argv[2]) : 5000;
  std::string nginx = argc > 3 ? argv[3] : "/usr/sbin/nginx";
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);

  keap::emulator::Settings settings;
  settings.client_id = "bench-client";
  settings.client_secret = "bench-secret";
  keap::emulator::RestSettings rest;
  rest.contacts = 10;
  rest.limits.scale(1000000); // the upstream's limits out of the way: the proxies are measured, not Keap
  keap::emulator::Server emulator(settings, 0, nullptr, rest);
  emulator.start();
  char pattern[] = "/tmp/keap-auth-bench-XXXXXX";
  std::string folder = ::mkdtemp(pattern);
  auto config = folder + "/keap-auth.json";
  auto agent_port = free_port();
  ::mkdir((folder + "/creds").c_str(), 0700);
  std::ofstream(config) << nlohmann::json{{"client_id", settings.client_id},
                                          {"client_secret", settings.client_secret},
                                          {"credentials_dir", folder + "/creds"},
                                          {"credentials_file", folder + "/creds/default.json"},
                                          {"token_url", emulator.base_url() + "/token"},
                                          {"api_base_url", emulator.base_url() + "/crm/rest"},
                                          {"agent",
                                           {{"pacing", false},
                                            {"tcp_key_file", folder + "/agent.key"},
                                            {"max_connections", 4096}}}}
                               .dump();
  ::chmod(config.c_str(), 0600);
  keap::oauth::TokenEndpoint client{*keap::util::parse_url(emulator.base_url() + "/token"), keap::TokenAuth::keap,
                                    settings.client_id, settings.client_secret};
  auto body = nlohmann::json::parse(emulator.state().mint_tokens(keap::util::now_seconds()).body);
  std::string token = body["access_token"];
  keap::oauth::TokenResponse minted{token, body["refresh_token"], "bearer", body["scope"], body["expires_in"]};
  keap::util::write_file_atomically(
      folder + "/creds/default.json",
      keap::serialize_credential(keap::oauth::grant_from_response(minted, client, keap::util::now_seconds())));
  std::string agent_key = "bench-agent-key-0123456789";
  std::ofstream(folder + "/agent.key") << agent_key << "\n";
  ::chmod((folder + "/agent.key").c_str(), 0600);

  auto upstream_port = keap::util::parse_url(emulator.base_url())->port;
  auto nginx_port = free_port();
  std::ofstream(folder + "/nginx.conf")
      << "worker_processes 2;\nerror_log " << folder << "/nginx-error.log;\npid " << folder
      << "/nginx.pid;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n"
      << "  keepalive_requests 10000000;\n"
      << "  upstream keap { server 127.0.0.1:" << upstream_port << "; keepalive 64; keepalive_requests 10000000; }\n"
      << "  server {\n    listen 127.0.0.1:" << nginx_port << ";\n    location /crm/rest/ {\n"
      << "      proxy_pass http://keap;\n      proxy_http_version 1.1;\n"
      << "      proxy_set_header Connection \"\";\n      proxy_set_header Authorization \"Bearer " << token
      << "\";\n    }\n  }\n}\n";

  pid_t agent = spawn({keap_auth, "--config", config, "agent", "--listen",
                       "tcp:127.0.0.1:" + std::to_string(agent_port)},
                      folder + "/agent.log");
  pid_t proxy = spawn({nginx, "-p", folder, "-c", folder + "/nginx.conf", "-g", "daemon off;"}, "/dev/null");
  if (!wait_for_port(agent_port) || !wait_for_port(nginx_port)) {
    std::fprintf(stderr, "bench_proxy: the agent or nginx did not start (is nginx installed?)\n");
    return 1;
  }

  const std::string target = "GET /crm/rest/v1/contacts?limit=1 HTTP/1.1\r\nHost: keap\r\n";
  std::vector<Way> ways{
      {"direct to the upstream (floor)", upstream_port, target + "Authorization: Bearer " + token + "\r\n\r\n", {}},
      {"through `keap-auth agent` (pacing off)", agent_port, target + "Keap-Agent-Key: " + agent_key + "\r\n\r\n", {}},
      {"through nginx (fixed Authorization, upstream keep-alive)", nginx_port, target + "\r\n", {}},
  };
  for (int round = 0; round < 2; ++round) { // warm, then measured, alternating the peers within each round
    for (auto& way : ways) {
      way.latencies = latencies_of(way.port, way.request, round == 0 ? 500 : requests);
    }
  }
  for (auto& way : ways) {
    way.per_second = throughput(way.port, way.request, 64, 5);
  }
  std::vector<int> callers;
  for (int i = 0; i < 1000; ++i) {
    callers.push_back(connect_tcp(agent_port));
  }
  latencies_of(agent_port, ways[1].request, 10); // every caller's connection accepted by now
  long resident = status_kib(agent, "VmRSS:");
  long peak = status_kib(agent, "VmHWM:");

  double floor_p50 = percentile(ways[0].latencies, 0.5), floor_p99 = percentile(ways[0].latencies, 0.99);
  std::printf("| way | p50 | p99 | added p50 | added p99 | requests a second (64 connections) |\n"
              "| --- | --- | --- | --- | --- | --- |\n");
  for (const auto& way : ways) {
    double p50 = percentile(way.latencies, 0.5), p99 = percentile(way.latencies, 0.99);
    std::printf("| %s | %.0f µs | %.0f µs | %.0f µs | %.0f µs | %.0f |\n", way.name, p50, p99, p50 - floor_p50,
                p99 - floor_p99, way.per_second);
  }
  std::printf("\nthe agent with 1,000 callers connected: %ld KiB resident (peak %ld KiB over the run)\n", resident,
              peak);
  for (int fd : callers) {
    ::close(fd);
  }
  ::kill(agent, SIGTERM);
  ::kill(proxy, SIGQUIT);
  ::waitpid(agent, nullptr, 0);
  ::waitpid(proxy, nullptr, 0);
  emulator.stop();
  std::filesystem::remove_all(folder);
  return 0;
}
