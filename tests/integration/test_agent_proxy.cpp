// The agent as Keap's front door (issue 20): real agent processes proxying to the emulator over loopback,
// callers on the agent's Unix socket, and what the emulator received (framing, credential, body hash,
// arrival time) as the evidence.
#include "support/agent_client.hpp"
#include "support/fixtures.hpp"
#include "support/pg_setup.hpp"
#include "util/text.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <set>
#include <thread>

#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

struct Agent {
  explicit Agent(Setup& setup) : socket(setup.dir.file("agent.sock")) {
    process = setup.start({"agent", "--listen", "unix:" + socket});
    REQUIRE(process->wait_for_err("listening", 20s));
  }
  ~Agent() {
    if (process->running()) {
      process->send_signal(SIGTERM);
      process->wait(20s);
    }
  }
  AgentAnswer send(const std::string& request) const { return unix_exchange(socket, request); }
  AgentAnswer get(const std::string& target, const std::string& extra = {}) const {
    return unix_get(socket, target, extra);
  }
  std::string socket;
  std::unique_ptr<Process> process;
};

void store_key(Setup& setup, const std::string& key) {
  auto file = setup.dir.file("key.txt");
  write_file(file, key + "\n", 0600);
  auto stored = setup.keap({"login", "--api-key-file", file, "--key-kind", "pat"});
  INFO(stored.err);
  REQUIRE(stored.exit_code == 0);
}

std::vector<emulator::ApiRequestRecord> seen(Setup& setup) { return setup.emulator.server.rest().requests(); }

std::string post_request(const std::string& target, const std::string& body, const std::string& extra = {}) {
  return "POST " + target + " HTTP/1.1\r\nHost: agent\r\nConnection: close\r\nContent-Type: application/json\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

/// What a download brought: the status, and how many body bytes came (counted, never kept).
struct Download {
  int status = 0;
  long long bytes = 0;
};

/// GETs `target` over the agent's socket, reading `limit` body bytes at most (then hanging up), each read
/// of at most 64 KiB followed by `pause` (a slow reader).
Download download(const std::string& socket, const std::string& target, long long limit = -1,
                  std::chrono::milliseconds pause = 0ms) {
  Download got;
  int fd = unix_connect(socket);
  REQUIRE(fd >= 0);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n";
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string head;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    auto count = ::read(fd, buffer.data(), buffer.size());
    if (count <= 0) {
      break;
    }
    if (got.status == 0) {
      head.append(buffer.data(), static_cast<size_t>(count));
      auto end = head.find("\r\n\r\n");
      if (end == std::string::npos) {
        continue;
      }
      got.status = std::stoi(head.substr(9, 3));
      got.bytes = static_cast<long long>(head.size() - end - 4);
    } else {
      got.bytes += count;
    }
    if (limit >= 0 && got.bytes >= limit) {
      break;
    }
    std::this_thread::sleep_for(pause); // the reader's pace, not an ordering
  }
  ::close(fd);
  return got;
}

/// The agent's peak resident memory in KiB (VmHWM).
[[maybe_unused]] long peak_resident_kib(pid_t pid) {
  auto status = read_file("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("VmHWM:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

const std::string k_contact =
    R"({"given_name":"Ada","family_name":"Lovelace","email_addresses":[{"email":"ada@example.com","field":"EMAIL1"}]})";

} // namespace

TEST_CASE("agent proxy: the thread's case, a stdlib Python client posting v1/files chunked with no credential",
          "[agent][proxy]") {
  Setup setup;
  auto key = setup.emulator.server.rest().personal_access_token();
  store_key(setup, key);
  Agent agent(setup);
  write_file(setup.dir.file("notes-é.txt"), "hello from a service\n");
  auto script = std::string(KEAP_SOURCE_DIR) + "/examples/agent/proxy_upload.py";
  std::map<std::string, std::string> env{{"KEAP_AGENT_SOCKET", agent.socket}};
  auto sent = run({"/usr/bin/python3", script, "5", setup.dir.file("notes-é.txt")}, env);
  INFO(sent.out << sent.err);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(sent.out.starts_with("200\n"));
  CHECK(nlohmann::json::parse(sent.out.substr(4))["file_descriptor"]["file_name"] == "notes-é.txt");
  auto requests = seen(setup);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].content_length == static_cast<long long>(requests[0].body.size()));
  CHECK(requests[0].transfer_encoding.empty());
  CHECK(requests[0].credential == "pat");
  CHECK(requests[0].credential_header == "X-Keap-API-Key");

  auto latin = run({"/usr/bin/python3", script, "5", setup.dir.file("notes-é.txt"), "latin-1"}, env);
  INFO(latin.out);
  CHECK(latin.exit_code == 1);
  CHECK(latin.out.starts_with("400\n"));
  CHECK(latin.out.find("not UTF-8 (byte ") != std::string::npos);
  CHECK(seen(setup).size() == 1); // nothing reached Keap
  CHECK(agent.process->err().find(key) == std::string::npos);
}

TEST_CASE("agent proxy: the credential is the profile's and the caller's is removed, and Keap's headers come back",
          "[agent][proxy]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto answer = agent.get("/crm/rest/v1/contacts?limit=2", "Authorization: Bearer caller-secret-token\r\n"
                                                            "X-Keap-API-Key: KeapAK-caller-key\r\nKeep-Alive: 5\r\n");
  INFO(answer.raw);
  REQUIRE(answer.status == 200);
  CHECK(answer.headers["x-keap-product-throttle-limit"] == "1500");
  CHECK(answer.headers["keap-agent-attempts"] == "1");
  CHECK(answer.headers.count("keap-agent-waited-ms") == 1);
  CHECK(nlohmann::json::parse(answer.body)["contacts"].size() == 2);
  auto requests = seen(setup);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].credential == "oauth");
  CHECK(requests[0].credential_header == "Authorization");
  CHECK(requests[0].query == "limit=2");
  for (const auto& name : requests[0].header_names) {
    CHECK(util::lower(name) != "keep-alive");
    CHECK(util::lower(name) != "x-keap-api-key");
  }
  auto metrics = agent.get("/metrics").body;
  CHECK(metrics.find("keap_auth_proxy_credentials_removed_total 2") != std::string::npos);
  CHECK(metrics.find("keap_auth_proxy_requests_total{profile=\"default\",status=\"200\"} 1") != std::string::npos);
  for (const auto* secret : {"caller-secret-token", "KeapAK-caller-key"}) {
    CHECK(agent.process->err().find(secret) == std::string::npos);
    CHECK(metrics.find(secret) == std::string::npos);
  }
  CHECK(agent.process->err().find(grant.access_token) == std::string::npos);
  CHECK(agent.process->err().find("limit=2") == std::string::npos); // the access log has no query string
  CHECK(agent.process->err().find("proxied") != std::string::npos);
}

TEST_CASE("agent proxy: bodies Keap cannot take and smuggling and other paths are refused with nothing sent",
          "[agent][proxy]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto get_with_body = agent.send("GET /crm/rest/v1/contacts HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                                  "Content-Length: 2\r\n\r\n{}");
  CHECK(get_with_body.status == 400);
  CHECK(get_with_body.headers["keap-agent-error"] == "bad_request");
  auto both = agent.send("POST /crm/rest/v1/contacts HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 5\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(both.status == 400);
  auto two = agent.send("POST /crm/rest/v1/contacts HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 2\r\n"
                        "Content-Length: 2\r\n\r\n{}");
  CHECK(two.status == 400);
  auto elsewhere = agent.get("/admin/secrets");
  CHECK(elsewhere.status == 404);
  auto escape = agent.get("/crm/rest/../../admin");
  CHECK(escape.status == 400);
  auto profile = agent.get("/crm/rest/v1/contacts", "Keap-Profile: nobody\r\n");
  CHECK(profile.status == 404);
  auto latin = agent.send(post_request("/crm/rest/v1/contacts", "{\"given_name\":\"Jos\xe9\"}"));
  CHECK(latin.status == 400);
  CHECK(latin.body.find("byte 18") != std::string::npos);
  CHECK(seen(setup).empty());
  CHECK(agent.get("/healthz").status == 200); // and it serves on
}

TEST_CASE("agent proxy: Expect 100-continue and chunks go to Keap with a length, and a body over max_body is 413",
          "[agent][proxy]") {
  Setup setup(emulator_settings(), {{"agent", {{"max_body", 2048}}}});
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto chunked = agent.send("POST /crm/rest/v1/contacts HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                            "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n" +
                            [] {
                              std::string body;
                              for (char c : k_contact) {
                                body += "1\r\n" + std::string(1, c) + "\r\n"; // a byte a chunk
                              }
                              return body + "0\r\n\r\n";
                            }());
  INFO(chunked.raw);
  CHECK(chunked.raw.find("HTTP/1.1 201 ") != std::string::npos); // after a 100 Continue, if the server sent one
  auto requests = seen(setup);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].content_length == static_cast<long long>(k_contact.size()));
  CHECK(requests[0].transfer_encoding.empty());
  CHECK(requests[0].body == k_contact);
  for (const auto& name : requests[0].header_names) {
    CHECK(util::lower(name) != "expect");
  }
  auto large = agent.send(post_request("/crm/rest/v1/contacts", std::string(4096, ' ')));
  CHECK(large.status == 413);
  CHECK(seen(setup).size() == 1);
}

TEST_CASE("agent proxy: a 200 MiB download streams through with the agent under 64 MiB resident",
          "[agent][proxy][memory]") {
  emulator::RestSettings rest;
  rest.large_file_bytes = 200LL << 20;
  Setup setup(emulator_settings(), {}, rest);
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto target = "/crm/rest/v2/files/" + std::to_string(emulator::k_large_file_id) + "/data";
  auto got = download(agent.socket, target);
  CHECK(got.status == 200);
  CHECK(got.bytes == 200LL << 20);
#ifndef KEAP_AUTH_SANITIZED // the sanitizers' shadow memory is not the agent's
  auto peak = peak_resident_kib(agent.process->pid());
  INFO("the agent's peak resident memory: " << peak << " KiB");
  CHECK(peak > 0);
  CHECK(peak < 64 * 1024);
#endif
}

TEST_CASE("agent proxy: callers that hang up, a slow reader and 1,000 open connections leave the agent serving "
          "others",
          "[agent][proxy][robustness]") {
  emulator::RestSettings rest;
  rest.large_file_bytes = 64LL << 20;
  Setup setup(emulator_settings(), {}, rest);
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto target = "/crm/rest/v2/files/" + std::to_string(emulator::k_large_file_id) + "/data";
  // Hung up mid-request (half a request line), and mid-download.
  int partial = unix_connect(agent.socket);
  REQUIRE(::write(partial, "GET /crm/rest/v1/con", 20) == 20);
  ::close(partial);
  auto cut = download(agent.socket, target, 1 << 20);
  CHECK(cut.status == 200);
  // The download's caller left: the agent stops reading Keap's answer and says so in its log.
  REQUIRE(agent.process->wait_for_err("status=0", 20s));
  // A slow reader, and 1,000 idle connections, beside callers who are served.
  std::thread slow([&] { CHECK(download(agent.socket, target, 4 << 20, 20ms).status == 200); });
  std::vector<int> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(unix_connect(agent.socket));
    REQUIRE(idle.back() >= 0);
  }
  for (int i = 0; i < 5; ++i) {
    CHECK(agent.get("/crm/rest/v1/contacts?limit=1").status == 200);
  }
  CHECK(agent.get("/healthz").status == 200);
  for (int fd : idle) {
    ::close(fd);
  }
  slow.join();
  CHECK(agent.process->running());
}

TEST_CASE("agent proxy: sixteen callers whose token Keap rejects cause one refresh and sixteen identical replays",
          "[agent][proxy][concurrency]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  setup.emulator.server.state().expire_access_token(grant.access_token); // the agent does not know yet
  // The first sixteen answers come 3 s late, so every caller has sent with the old token before the
  // first 401 (and the refresh) comes back.
  setup.emulator.server.rest().add_fault(emulator::ApiFault::slow, 16);
  Agent agent(setup);
  std::vector<AgentAnswer> answers(16);
  std::vector<std::thread> callers;
  for (size_t i = 0; i < answers.size(); ++i) {
    callers.emplace_back([&, i] { answers[i] = agent.send(post_request("/crm/rest/v1/contacts", k_contact)); });
  }
  for (auto& caller : callers) {
    caller.join();
  }
  for (auto& answer : answers) {
    INFO(answer.raw);
    CHECK(answer.status == 201);
    CHECK(answer.headers["keap-agent-attempts"] == "2");
    CHECK(answer.headers["keap-agent-refreshed"] == "1");
  }
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  auto requests = seen(setup);
  REQUIRE(requests.size() == 32);
  std::set<std::string> hashes;
  size_t rejected = 0;
  for (const auto& request : requests) {
    hashes.insert(request.body_sha256);
    rejected += request.status == 401 ? 1U : 0U;
  }
  CHECK(rejected == 16);
  CHECK(hashes.size() == 1);
}

TEST_CASE("agent proxy: a 502 is retried for GET and never for POST, and a second 401 says login_required",
          "[agent][proxy]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto& rest = setup.emulator.server.rest();
  rest.add_fault(emulator::ApiFault::bad_gateway, 1);
  auto get = agent.get("/crm/rest/v1/contacts");
  CHECK(get.status == 200);
  CHECK(get.headers["keap-agent-attempts"] == "2");
  rest.add_fault(emulator::ApiFault::bad_gateway, 1);
  auto post = agent.send(post_request("/crm/rest/v1/contacts", k_contact));
  CHECK(post.status == 502);
  CHECK(post.headers["keap-agent-attempts"] == "1");
  rest.add_fault(emulator::ApiFault::unauthorized, 2);
  auto twice = agent.get("/crm/rest/v1/contacts");
  CHECK(twice.status == 401);
  CHECK(twice.headers["keap-agent-error"] == "login_required");
  CHECK(twice.headers["keap-agent-attempts"] == "2");
}

TEST_CASE("agent proxy: a day's quota at 0 is one 429 from Keap, then the agent's own until the reset",
          "[agent][proxy][rate]") {
  emulator::RestSettings rest;
  rest.limits.key_per_day = 2;
  Setup setup(emulator_settings(), {}, rest);
  store_key(setup, setup.emulator.server.rest().personal_access_token());
  Agent agent(setup);
  CHECK(agent.get("/crm/rest/v1/contacts").status == 200);
  CHECK(agent.get("/crm/rest/v1/contacts").status == 200);
  auto keap = agent.get("/crm/rest/v1/contacts");
  CHECK(keap.status == 429);
  CHECK(keap.headers["x-keap-product-quota-available"] == "0");
  CHECK(keap.headers.count("retry-after") == 1);
  auto local = agent.get("/crm/rest/v1/contacts");
  CHECK(local.status == 429);
  CHECK(local.headers["keap-agent-error"] == "rate_limited");
  CHECK(std::stoll(local.headers["retry-after"]) > 0);
  CHECK(seen(setup).size() == 3); // the last one never reached Keap
  auto metrics = agent.get("/metrics").body;
  CHECK(metrics.find("keap_auth_proxy_keap_429_total") != std::string::npos);
  CHECK(metrics.find("keap_auth_proxy_refused_total") != std::string::npos);
}

namespace {

/// Callers that each call through `socket` until `until`; counts what they got besides 200 and 429.
struct Callers {
  std::atomic<int> local_429{0}, others{0};
  std::vector<std::thread> threads;
  void start(const std::string& socket, int count, std::chrono::steady_clock::time_point until) {
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([this, socket, until] {
        while (std::chrono::steady_clock::now() < until) {
          auto answer = unix_get(socket, "/crm/rest/v1/contacts?limit=1");
          if (answer.status == 429) {
            ++local_429;
          } else if (answer.status != 200) {
            ++others;
          }
        }
      });
    }
  }
  void join() {
    for (auto& thread : threads) {
      thread.join();
    }
  }
};

/// What Keap saw: its 429s, and the calls it answered 200 before `until`.
std::pair<size_t, size_t> outcome(const std::vector<emulator::ApiRequestRecord>& requests,
                                  std::chrono::steady_clock::time_point until) {
  size_t refused = 0, admitted = 0;
  for (const auto& request : requests) {
    refused += request.status == 429 ? 1U : 0U;
    admitted += request.status == 200 && request.arrived < until ? 1U : 0U;
  }
  return {refused, admitted};
}

} // namespace

TEST_CASE("agent proxy: four agents on one PostgreSQL store stay under one client id's limits together",
          "[agent][proxy][rate][postgres][slow]") {
#ifdef KEAP_AUTH_SANITIZED
  WARN("a rate measured in real time: not in the sanitized build, whose slowness is not the pacer's");
  return;
#endif
  emulator::RestSettings rest;
  rest.limits.client_per_minute = 600;
  rest.limits.client_per_second = 10;
  nlohmann::json extra = {{"agent", {{"limits", {{"client_per_minute", 600}, {"client_per_second", 10}}}}}};
  PgSetup setup(4, emulator_settings(), extra, rest);
  setup.seed("default", 20h);
  std::vector<std::unique_ptr<Process>> agents;
  std::vector<std::string> sockets;
  for (size_t host = 0; host < 4; ++host) {
    sockets.push_back(setup.dir.file("agent-" + std::to_string(host) + ".sock"));
    agents.push_back(setup.start({"agent", "--listen", "unix:" + sockets.back()}, host));
  }
  for (size_t host = 0; host < 4; ++host) {
    REQUIRE(agents[host]->wait_for_err("listening", 30s));
  }
  // Warmed first: an agent's first calls each open a session with the database (a backend forked, a
  // SCRAM exchange), and 32 of them at once on two cores delay calls already admitted by more than the
  // pacer's 50 ms allowance (docs/agent.md, "Pacing"). A fleet in service is past that.
  auto seeded = setup.emulator.server.rest().requests().size();
  std::vector<std::thread> warming;
  for (const auto& socket : sockets) {
    for (int i = 0; i < 8; ++i) {
      warming.emplace_back([&socket] { CHECK(unix_get(socket, "/crm/rest/v1/contacts?limit=1").status == 200); });
    }
  }
  for (auto& thread : warming) {
    thread.join();
  }
  auto warmed = setup.emulator.server.rest().requests().size(); // 429s among them are retried; not counted
  REQUIRE(warmed >= seeded + 32);
  auto until = std::chrono::steady_clock::now() + 30s;
  Callers callers;
  for (const auto& socket : sockets) {
    callers.start(socket, 8, until); // as many as each agent has warm sessions with the database (8 idle kept)
  }
  callers.join();
  auto requests = setup.emulator.server.rest().requests();
  requests.erase(requests.begin(), requests.begin() + static_cast<long>(warmed)); // the warm-up's
  auto [refused, admitted] = outcome(requests, until);
  INFO("admitted " << admitted << ", local 429s " << callers.local_429);
  for (const auto& request : requests) {
    if (request.status == 429) {
      int second = 0, minute = 0;
      for (const auto& other : requests) {
        bool before = other.status == 200 && other.arrived < request.arrived;
        second += before && request.arrived - other.arrived < 1s ? 1 : 0;
        minute += before && request.arrived - other.arrived < 60s ? 1 : 0;
      }
      UNSCOPED_INFO("a 429 with " << second << " in the second before it and " << minute << " in the minute");

    }
  }
  CHECK(refused == 0);
  CHECK(callers.others == 0);
  CHECK(admitted >= 270); // 90% of 10 a second for 30 s, by four agents together
  CHECK(admitted <= 300);
  CHECK(setup.sql("SELECT count(*) FROM keap_auth.pacing").starts_with("3"));
  for (auto& agent : agents) {
    agent->send_signal(SIGTERM);
    CHECK(agent->wait(20s).exit_code == 0);
    CHECK(agent->err().find("pacing this host alone") == std::string::npos);
  }
}

TEST_CASE("agent proxy: 64 callers for 30 s against a client id scaled to 600 a minute get no 429 from Keap and use "
          "at least 90% of the rate",
          "[agent][proxy][rate][slow]") {
#ifdef KEAP_AUTH_SANITIZED
  WARN("a rate measured in real time: not in the sanitized build, whose slowness is not the pacer's");
  return;
#endif
  emulator::RestSettings rest;
  rest.limits.client_per_minute = 600;
  rest.limits.client_per_second = 10;
  nlohmann::json agent_config = {{"agent", {{"limits", {{"client_per_minute", 600}, {"client_per_second", 10}}}}}};
  Setup setup(emulator_settings(), agent_config, rest);
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto until = std::chrono::steady_clock::now() + 30s;
  Callers callers;
  callers.start(agent.socket, 64, until);
  callers.join();
  auto [refused, admitted] = outcome(seen(setup), until);
  INFO("admitted " << admitted << ", local 429s " << callers.local_429);
  CHECK(refused == 0);
  CHECK(callers.others == 0);
  CHECK(admitted >= 270); // 90% of 10 a second for 30 s
  CHECK(admitted <= 300);
}
