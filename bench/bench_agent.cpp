// Times `keap-auth agent` as docs/speed.md reports, against its floors in the same run:
//   GET /v1/token over one kept-alive Unix-socket connection   (p50, p99)
//   the same over 8 connections at once                        (tokens a second)
//   `cat` of the credentials file, and `keap-auth token`, each a process per token (p50)
//   the agent's resident memory with 100 profiles, and with 1,000 idle connections open
// against a seeded in-process emulator. Nothing is asserted.
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

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace keap::bench;
using Clock = std::chrono::steady_clock;

namespace {

int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}




} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_agent KEAP_AUTH_BINARY [REQUESTS]\n");
    return 2;
  }
  std::string keap_auth = argv[1];
  int requests = argc > 2 ? std::atoi(argv[2]) : 20000;
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max; // 1,000 idle connections need more than the default 1,024 descriptors
  ::setrlimit(RLIMIT_NOFILE, &files);

  keap::emulator::Settings settings;
  settings.client_id = "bench-client";
  settings.client_secret = "bench-secret";
  keap::emulator::Server emulator(settings, 0);
  emulator.start();
  char pattern[] = "/tmp/keap-auth-bench-XXXXXX";
  std::string folder = ::mkdtemp(pattern);
  auto config = folder + "/keap-auth.json";
  ::mkdir((folder + "/creds").c_str(), 0700);
  std::ofstream(config) << nlohmann::json{{"client_id", settings.client_id},
                                          {"client_secret", settings.client_secret},
                                          {"credentials_dir", folder + "/creds"},
                                          {"credentials_file", folder + "/creds/default.json"},
                                          {"token_url", emulator.base_url() + "/token"},
                                          {"api_base_url", emulator.base_url() + "/crm/rest"}}
                               .dump();
  ::chmod(config.c_str(), 0600);
  keap::oauth::TokenEndpoint client{*keap::util::parse_url(emulator.base_url() + "/token"), keap::TokenAuth::keap,
                                    settings.client_id, settings.client_secret};
  auto seed = [&](const std::string& file) {
    auto body = nlohmann::json::parse(emulator.state().mint_tokens(keap::util::now_seconds()).body);
    keap::oauth::TokenResponse minted{body["access_token"], body["refresh_token"], "bearer", body["scope"],
                                      body["expires_in"]};
    keap::util::write_file_atomically(
        file, keap::serialize_credential(keap::oauth::grant_from_response(minted, client, keap::util::now_seconds())));
  };
  seed(folder + "/creds/default.json");
  for (int i = 0; i < 100; ++i) {
    seed(folder + "/creds/p" + std::to_string(i) + ".json");
  }

  auto socket = folder + "/agent.sock";
  pid_t agent = ::fork();
  if (agent == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    ::execl(keap_auth.c_str(), keap_auth.c_str(), "--config", config.c_str(), "agent", "--listen",
            ("unix:" + socket).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int probe = -1;
  for (int i = 0; i < 500 && probe < 0; ++i) {
    probe = connect_to(socket);
    if (probe < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10)); // the agent is starting
    }
  }
  if (probe < 0) {
    std::fprintf(stderr, "bench_agent: the agent did not start\n");
    return 1;
  }

  // Latency: one kept-alive connection, one request at a time.
  const std::string request = "GET /v1/token?profile=p7 HTTP/1.1\r\nHost: agent\r\nAccept: text/plain\r\n\r\n";
  std::string buffer;
  std::vector<double> latencies;
  for (int i = 0; i < requests; ++i) {
    auto started = Clock::now();
    if (!ask(probe, request, buffer)) {
      std::fprintf(stderr, "bench_agent: a request failed: %s\n", buffer.c_str());
      return 1;
    }
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
  }

  // Throughput: 8 connections for 3 seconds.
  std::atomic<long> answered{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      int fd = connect_to(socket);
      std::string own;
      while (!stop && ask(fd, request, own)) {
        ++answered;
      }
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(3)); // the measuring window
  stop = true;
  for (auto& caller : callers) {
    caller.join();
  }
  for (int i = 0; i < 100; ++i) { // every profile served once, so all 100 are in memory
    ask(probe, "GET /v1/token?profile=p" + std::to_string(i) + " HTTP/1.1\r\nHost: agent\r\n\r\n", buffer);
  }
  long resident = status_kib(agent, "VmRSS:");

  std::vector<int> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(connect_to(socket));
  }
  ask(probe, request, buffer); // every idle connection has been accepted by now
  long resident_idle = status_kib(agent, "VmRSS:");

  // A caller beside those idle connections and 50 slow senders, each stopped in the middle of its headers.
  std::vector<int> slow;
  for (int i = 0; i < 50; ++i) {
    int fd = connect_to(socket);
    const std::string part = "GET /v1/token HTTP/1.1\r\nHo";
    ::send(fd, part.data(), part.size(), MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  std::vector<double> crowded;
  for (int i = 0; i < 1000; ++i) {
    auto started = Clock::now();
    if (!ask(probe, request, buffer)) {
      std::fprintf(stderr, "bench_agent: a request beside the slow senders failed\n");
      return 1;
    }
    crowded.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
  }
  for (int fd : slow) {
    ::close(fd);
  }

  // The floors: a process per token.
  auto credentials = folder + "/creds/p7.json";
  auto pair = measure_paired(
      200, single([&] {
        return std::vector<std::string>{"/bin/cat", credentials};
      }),
      single([&] { return std::vector<std::string>{keap_auth, "--config", config, "--profile", "p7", "token"}; }),
      folder + "/peak.txt");

  std::printf(
      "| way to get a token | p50 | p99 | tokens a second | agent's memory |\n| --- | --- | --- | --- | --- |\n");
  std::printf(
      "| agent, GET /v1/token, one kept-alive Unix connection | %.0f µs | %.0f µs | %.0f | %ld KiB (100 profiles) |\n",
      percentile(latencies, 0.5), percentile(latencies, 0.99), 1e6 / percentile(latencies, 0.5), resident);
  std::printf("| agent, 8 connections at once | | | %.0f | %ld KiB (1,000 idle connections open) |\n",
              static_cast<double>(answered.load()) / 3.0, resident_idle);
  std::printf("| agent, beside 1,000 idle connections and 50 slow senders | %.0f µs | %.0f µs | | |\n",
              percentile(crowded, 0.5), percentile(crowded, 0.99));
  std::printf("| `cat` of the credentials file (floor: a process per token) | %.0f µs | | %.0f | |\n",
              pair.floor.median_us, 1e6 / pair.floor.median_us);
  std::printf("| `keap-auth token` (a process per token) | %.0f µs | | %.0f | |\n", pair.measured.median_us,
              1e6 / pair.measured.median_us);
  for (int fd : idle) {
    ::close(fd);
  }
  ::close(probe);
  ::kill(agent, SIGTERM);
  ::waitpid(agent, nullptr, 0);
  std::filesystem::remove_all(folder);
  return 0;
}
