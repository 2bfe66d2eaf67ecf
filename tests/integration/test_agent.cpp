// keap-auth agent, as a real process on a real Unix socket and loopback port, against the emulator.
#include "support/agent_client.hpp"
#include "support/fixtures.hpp"
#include "support/pg_setup.hpp"
#include "support/scripted_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <thread>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// An agent started on a socket in the setup's folder, stopped with SIGTERM at the end.
struct Agent {
  explicit Agent(Setup& setup, std::vector<std::string> arguments = {}, std::map<std::string, std::string> env = {})
      : socket(setup.dir.file("agent.sock")) {
    arguments.insert(arguments.begin(), {"agent", "--listen", "unix:" + socket});
    process = setup.start(arguments, env);
    REQUIRE(process->wait_for_err("listening", 20s));
  }
  ~Agent() {
    if (process->running()) {
      process->send_signal(SIGTERM);
      process->wait(20s);
    }
  }
  AgentAnswer get(const std::string& target, const std::string& extra = {}) const {
    return unix_get(socket, target, extra);
  }
  nlohmann::json token(const std::string& query = {}) const {
    auto answer = get("/v1/token" + query);
    INFO(answer.raw);
    REQUIRE(answer.status == 200);
    return nlohmann::json::parse(answer.body);
  }
  std::string socket;
  std::unique_ptr<Process> process;
};

emulator::Settings short_lived(std::chrono::seconds access_ttl) {
  auto settings = emulator_settings();
  settings.access_ttl = access_ttl;
  return settings;
}

} // namespace

TEST_CASE("agent: /v1/token hands out the stored token as JSON and as text, as `token --json` prints it", "[agent]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto token = agent.token();
  CHECK(token["schema"] == 1);
  CHECK(token["profile"] == "default");
  CHECK(token["kind"] == "oauth_grant");
  CHECK(token["token"] == grant.access_token);
  CHECK(token["header"] == "Authorization: Bearer " + grant.access_token);
  CHECK(token["app"] == "ab123");
  CHECK(token["expires_at"].is_string());
  CHECK(token["refresh_at"].is_string());
  auto plain = agent.get("/v1/token?profile=default", "Accept: text/plain\r\n");
  CHECK(plain.status == 200);
  CHECK(plain.body == grant.access_token + "\n");
  CHECK(plain.headers["cache-control"] == "no-store");
  auto cli = setup.keap({"token", "--json"});
  INFO(cli.err);
  REQUIRE(cli.exit_code == 0);
  auto printed = nlohmann::json::parse(cli.out);
  for (const auto* key : {"schema", "profile", "kind", "token", "header", "expires_at", "app"}) {
    INFO(key);
    CHECK(printed[key] == token[key]);
  }
  CHECK(printed["refresh_at"].is_string());
  CHECK(refresh_grants(setup.emulator, 0) == 0);
}

TEST_CASE("agent: 64 callers of an expired token get one new token from one grant", "[agent][concurrency]") {
  auto settings = emulator_settings();
  settings.token_fault = slow_answer(300ms); // long enough for every caller to be waiting on the refresh
  Setup setup(settings);
  auto old = seed_credentials(setup.emulator, setup.path(), -1h);
  Agent agent(setup, {}, {});
  std::vector<std::thread> callers;
  std::vector<AgentAnswer> answers(64);
  for (size_t i = 0; i < answers.size(); ++i) {
    callers.emplace_back([&, i] { answers[i] = agent.get("/v1/token", "Accept: text/plain\r\n"); });
  }
  for (auto& caller : callers) {
    caller.join();
  }
  auto stored = load_grant(setup.path());
  for (const auto& answer : answers) {
    INFO(answer.raw);
    REQUIRE(answer.status == 200);
    REQUIRE(answer.body == stored.access_token + "\n");
  }
  CHECK(stored.access_token != old.access_token);
  CHECK(refresh_grants(setup.emulator, 0) == 1);
}

TEST_CASE("agent: a login made with the CLI is served by the next request, and the sink follows within a second",
          "[agent][sinks]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 20h);
  auto sink = setup.dir.file("token.txt");
  Agent agent(setup, {"--sink", "default:" + sink + ":header"});
  REQUIRE(eventually([&] { return file_exists(sink); }));
  auto fresh = seed_credentials(setup.emulator, setup.path(), 20h); // what a login leaves: a new file
  CHECK(agent.token()["token"] == fresh.access_token);
  REQUIRE(eventually([&] { return read_file(sink) == "Authorization: Bearer " + fresh.access_token + "\n"; }, 1500ms));
  CHECK((file_mode(sink) & 0777) == 0600);
}

TEST_CASE("agent: a sink is never seen torn or missing while the token rotates", "[agent][sinks]") {
  Setup setup(short_lived(1h));
  seed_credentials(setup.emulator, setup.path(), 20h);
  auto sink = setup.dir.file("token");
  Agent agent(setup, {"--sink", "default:" + sink + ":token"});
  REQUIRE(eventually([&] { return file_exists(sink); }));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto text = read_file(sink);
      bool whole = text.size() > 2 && text.back() == '\n' && text.find('\n') == text.size() - 1;
      bad += whole ? 0 : 1;
      ++reads;
    }
  });
  for (int rotation = 0; rotation < 100; ++rotation) {
    // min_valid longer than the token's life: each request makes the agent refresh.
    auto answer = agent.get("/v1/token?min_valid=30d", "Accept: text/plain\r\n");
    REQUIRE(answer.status == 200);
  }
  REQUIRE(eventually([&] { return read_file(sink) == load_grant(setup.path()).access_token + "\n"; }));
  stop = true;
  reader.join();
  CHECK(bad == 0);
  CHECK(reads > 100);
  CHECK(refresh_grants(setup.emulator, 0) == 100);
}

TEST_CASE("agent: a caller of another user is refused (403) and the refusal logged", "[agent][access]") {
  if (::geteuid() != 0) {
    WARN("needs root to run a client as nobody");
    return;
  }
  Setup setup({}, {{"agent", {{"socket_mode", "0666"}}}});
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  ::chmod(setup.dir.path().c_str(), 0755); // nobody may reach the socket; the agent decides
  auto refused = run({"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "curl", "-sS",
                      "--unix-socket", agent.socket, "-o", "-", "-w", "\n%{http_code}", "http://agent/v1/token"});
  INFO(refused.out << refused.err);
  CHECK(refused.out.ends_with("\n403"));
  CHECK(refused.out.find("this user may not ask the agent") != std::string::npos);
  CHECK(agent.process->wait_for_err("caller refused", 5s));
  auto metrics = agent.get("/metrics");
  CHECK(metrics.body.find("keap_auth_callers_refused_total 1") != std::string::npos);
}

TEST_CASE("agent: over TCP every endpoint needs Keap-Agent-Key", "[agent][access]") {
  auto port = free_port();
  auto key_file = std::string();
  Setup setup;
  key_file = setup.dir.file("agent.key");
  write_file(
      setup.config,
      [&] {
        auto config = nlohmann::json::parse(read_file(setup.config));
        config["agent"] = {{"tcp_key_file", key_file}};
        return config.dump();
      }(),
      0600);
  seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup, {"--listen", "tcp:127.0.0.1:" + std::to_string(port)});
  REQUIRE((file_mode(key_file) & 0777) == 0600);
  auto key = read_file(key_file);
  key.pop_back();
  for (const auto* target : {"/v1/token", "/healthz", "/metrics", "/v1/profiles"}) {
    INFO(target);
    CHECK(tcp_get(port, target).status == 401);
    CHECK(tcp_get(port, target, "Keap-Agent-Key: wrong-key-of-some-length\r\n").status == 401);
    CHECK(tcp_get(port, target, "Keap-Agent-Key: " + key + "\r\n").status == 200);
  }
}

TEST_CASE("agent: bad requests get their status, and slow senders and idle connections do not hold up a caller",
          "[agent][hostile]") {
  Setup setup({}, {{"agent", {{"header_timeout", "2s"}}}});
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  CHECK(agent.get("/v1/nothing").status == 404);
  CHECK(unix_post(agent.socket, "/v1/token", "{}").status == 405);
  CHECK(agent.get("/v1/token?profile=../etc").status == 400);
  CHECK(agent.get("/v1/token?min_valid=forever").status == 400);
  CHECK(agent.get("/v1/token?profile=nobody").status == 404);
  CHECK(unix_post(agent.socket, "/v1/token/rejected", "not json").status == 400);
  CHECK(agent.get("/v1/token", "X-Big: " + std::string(17 * 1024, 'a') + "\r\n").status == 431);
  std::string many;
  for (int i = 0; i < 101; ++i) {
    many += "X-Line-" + std::to_string(i) + ": a\r\n";
  }
  CHECK(agent.get("/v1/token", many).status == 431);
  CHECK(agent.get("/v1/token?" + std::string(9 * 1024, 'a')).status == 414);
  CHECK(unix_post(agent.socket, "/v1/token/rejected", std::string(65 * 1024, ' ')).status == 413);
  CHECK(unix_exchange(agent.socket, "GET /v1/token HTTP/1.1\r\nHost: a\r\nX-Bad: a\rb\r\n\r\n").status == 400);
  CHECK(unix_exchange(agent.socket, "GET /v1/token HTTP/1.0\r\n\r\n").status == 200);
  auto pipelined =
      unix_exchange(agent.socket, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/token HTTP/1.1\r\nHost: "
                                  "a\r\nAccept: text/plain\r\nConnection: close\r\n\r\n");
  CHECK(pipelined.raw.find(grant.access_token + "\n") != std::string::npos);
  // An error answer never echoes what was sent.
  auto echoed = agent.get("/v1/token?profile=secret-looking-value!");
  CHECK(echoed.body.find("secret-looking-value") == std::string::npos);

  std::vector<int> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(unix_connect(agent.socket));
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> slow;
  for (int i = 0; i < 50; ++i) {
    slow.emplace_back([&] {
      int fd = unix_connect(agent.socket);
      for (char byte : std::string("GET /v1/token HTTP/1.1\r\nHost: a\r\n")) {
        if (stop || !send_all(fd, std::string(1, byte))) {
          break;
        }
        std::this_thread::sleep_for(200ms); // a byte every 200 ms is the attack
      }
      ::close(fd);
    });
  }
  auto started = std::chrono::steady_clock::now();
  auto answer = agent.get("/v1/token", "Accept: text/plain\r\n");
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(answer.status == 200);
  CHECK(took < 2s); // the issue asks for 100 ms; the bench measures it, this only proves nobody waits behind them
  // The slow senders are cut at header_timeout: their connections are answered 408 and closed.
  int slow_fd = unix_connect(agent.socket);
  send_all(slow_fd, "GET /v1/token HTTP/1.1\r\n");
  char buffer[4096];
  auto count = ::read(slow_fd, buffer, sizeof buffer);
  CHECK(count > 0);
  CHECK(std::string(buffer, static_cast<size_t>(std::max<ssize_t>(count, 0))).starts_with("HTTP/1.1 408"));
  ::close(slow_fd);
  stop = true;
  for (auto& thread : slow) {
    thread.join();
  }
  for (int fd : idle) {
    ::close(fd);
  }
}

TEST_CASE("agent: SIGHUP with a broken config keeps serving, and SIGTERM drains, exits 0 and removes its socket",
          "[agent][signals]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto good = read_file(setup.config);
  write_file(setup.config, "{\"agent\": {\"refresh\": \"sometimes\"}}", 0600);
  agent.process->send_signal(SIGHUP);
  REQUIRE(agent.process->wait_for_err("reload failed", 10s));
  CHECK(agent.token()["token"] == grant.access_token);
  write_file(setup.config, good, 0600);
  agent.process->send_signal(SIGHUP);
  REQUIRE(agent.process->wait_for_err("reloaded", 10s));
  CHECK(agent.token()["token"] == grant.access_token);
  agent.process->send_signal(SIGTERM);
  auto result = agent.process->wait(20s);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK_FALSE(file_exists(agent.socket));
}

TEST_CASE("agent: /healthz, /v1/profiles and /metrics say what is served, and no secret appears anywhere",
          "[agent][secrets]") {
  Setup setup({}, {{"profiles", {{"acme", nlohmann::json::object()}}}});
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto health = agent.get("/healthz");
  INFO(health.body);
  CHECK(health.status == 503); // acme has no credentials yet
  CHECK(health.body.find("acme") != std::string::npos);
  auto profiles = nlohmann::json::parse(agent.get("/v1/profiles").body);
  CHECK(profiles["profiles"].size() == 2);
  auto metrics = agent.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.headers["content-type"].starts_with("text/plain; version=0.0.4"));
  CHECK(metrics.body.find("keap_auth_requests_total{endpoint=\"/healthz\",status=\"503\"} 1") != std::string::npos);
  CHECK(metrics.body.find("keap_auth_token_expiry_seconds{profile=\"default\"}") != std::string::npos);
  agent.token();
  for (const auto& text : {health.body, profiles.dump(), metrics.body, agent.process->err(), read_file(setup.config)}) {
    CHECK(text.find(grant.access_token) == std::string::npos);
    CHECK(text.find(grant.refresh_token) == std::string::npos);
  }
  auto ps = run({"/usr/bin/ps", "-eo", "args"});
  REQUIRE(ps.exit_code == 0);
  CHECK(ps.out.find(grant.access_token) == std::string::npos);
}

TEST_CASE("agent: a live agent's socket is refused (exit 2), a stale one is replaced", "[agent]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 20h);
  {
    Agent agent(setup);
    auto second = setup.keap({"agent", "--listen", "unix:" + agent.socket});
    CHECK(second.exit_code == 2);
    CHECK(second.err.find("already listens there") != std::string::npos);
    agent.process->send_signal(SIGKILL); // leaves its socket behind
    agent.process->wait();
    REQUIRE(file_exists(agent.socket));
  }
  Agent again(setup);
  CHECK(again.get("/healthz").status == 200);
  struct stat info {};
  REQUIRE(::stat(again.socket.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("agent: an agent and a CLI refresh racing make one grant", "[agent][concurrency]") {
  auto settings = emulator_settings();
  settings.token_fault = slow_answer(500ms);
  Setup setup(settings);
  seed_credentials(setup.emulator, setup.path(), -1h);
  Agent agent(setup, {}, {});
  auto cli = setup.start({"refresh", "--if-expires-within", "1h"});
  auto answer = agent.get("/v1/token", "Accept: text/plain\r\n");
  auto refreshed = cli->wait(30s);
  INFO(refreshed.err << answer.raw);
  CHECK(refreshed.exit_code == 0);
  CHECK(answer.status == 200);
  CHECK(answer.body == load_grant(setup.path()).access_token + "\n");
  CHECK(refresh_grants(setup.emulator, 0) == 1);
}

TEST_CASE("agent: refreshes ahead of time, at refresh_at_fraction of the token's life", "[agent]") {
  Setup setup(short_lived(6s), {{"agent", {{"min_valid", "0"}, {"refresh_at_fraction", 0.5}}}});
  seed_credentials(setup.emulator, setup.path(), 3s, 3s); // half of its 6 s life is gone
  Agent agent(setup);
  // Each 6-second token is refreshed about 3 s into its life, by the agent alone.
  REQUIRE(eventually([&] { return refresh_grants(setup.emulator, 0) >= 3; }, 30s));
  CHECK(agent.process->err().find("refreshed") != std::string::npos);
}

TEST_CASE("agent: a rejected token is replaced once, and a key reported rejected is 409", "[agent]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  Agent agent(setup);
  auto replaced = unix_post(agent.socket, "/v1/token/rejected", "{\"token\": \"" + grant.access_token + "\"}");
  INFO(replaced.raw);
  REQUIRE(replaced.status == 200);
  auto fresh = nlohmann::json::parse(replaced.body)["token"].get<std::string>();
  CHECK(fresh != grant.access_token);
  auto again = unix_post(agent.socket, "/v1/token/rejected", "{\"token\": \"" + grant.access_token + "\"}");
  CHECK(nlohmann::json::parse(again.body)["token"] == fresh); // the store already holds a newer one
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  auto key = setup.keap_with_input({"login", "--api-key", "-", "--force"},
                                   setup.emulator.server.rest().personal_access_token() + "\n");
  INFO(key.err);
  REQUIRE(key.exit_code == 0);
  auto refused = unix_post(agent.socket, "/v1/token/rejected",
                           "{\"token\": \"" + setup.emulator.server.rest().personal_access_token() + "\"}");
  CHECK(refused.status == 409);
  CHECK(nlohmann::json::parse(refused.body)["error"]["exit_code"] == 4);
}

TEST_CASE("agent: with the PostgreSQL store, a refresh on another host is served within a second, and a "
          "database restart drops no caller",
          "[agent][postgres]") {
  PgSetup setup(2);
  setup.seed("default", 20h);
  auto socket = setup.dir.file("agent.sock");
  auto agent = setup.start({"agent", "--listen", "unix:" + socket}, 0);
  REQUIRE(agent->wait_for_err("listening", 30s));
  auto token_of = [&] {
    auto answer = unix_get(socket, "/v1/token", "Accept: text/plain\r\n");
    return answer.status == 200 ? answer.body.substr(0, answer.body.size() - 1) : std::string();
  };
  auto before = token_of();
  REQUIRE_FALSE(before.empty());
  auto refreshed = setup.keap({"refresh"}, 1); // the other host
  INFO(refreshed.err);
  REQUIRE(refreshed.exit_code == 0);
  auto now_stored = setup.grant().access_token;
  REQUIRE(now_stored != before);
  CHECK(eventually([&] { return token_of() == now_stored; }, 1500ms)); // announced, not polled (60 s)

  setup.cluster.restart();
  CHECK(token_of() == now_stored); // served from memory while the database was away
  auto again = setup.keap({"refresh"}, 1);
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  auto newest = setup.grant().access_token;
  CHECK(eventually([&] { return token_of() == newest; }, 10s)); // the listener came back
  agent->send_signal(SIGTERM);
  CHECK(agent->wait(20s).exit_code == 0);
  CHECK(refresh_grants(setup.emulator, 0) == 2);
}

TEST_CASE("agent: SIGTERM during a refresh waits for the pair to be saved, then exits 0", "[agent][signals]") {
  auto settings = emulator_settings();
  settings.token_fault = slow_answer(1500ms);
  Setup setup(settings);
  auto old = seed_credentials(setup.emulator, setup.path(), -1h);
  Agent agent(setup);
  std::thread caller([&] { agent.get("/v1/token"); });
  REQUIRE(wait_for_token_requests(setup.emulator, 1, 10s));
  agent.process->send_signal(SIGTERM);
  auto result = agent.process->wait(30s);
  caller.join();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  auto saved = load_grant(setup.path());
  CHECK(saved.refresh_token != old.refresh_token);
  CHECK(setup.emulator.server.state().refresh_token_valid(saved.refresh_token, util::now_seconds()));
}

TEST_CASE("agent: kill -9 in the middle of a refresh leaves the credentials whole, and the next refresh works",
          "[agent][kill]") {
  // Where the fresh pair exists only in the dead process (Keap's answer read, the file not yet renamed
  // over), Keap has rotated a pair nobody saved: the next refresh says to log in again (4). Everywhere
  // else nothing is lost.
  for (auto [point, expected] : {std::pair{"after-lock", 0},
                                 {"after-answer", 4},
                                 {"before-rename", 4},
                                 {"after-rename", 0},
                                 {"after-commit", 0}}) {
    DYNAMIC_SECTION(point) {
      Setup setup;
      seed_credentials(setup.emulator, setup.path(), -1h);
      Agent agent(setup, {}, {{"KEAP_AUTH_TEST_CRASH_AT", point}});
      // Once the pair is on disk, another thread may serve it before the refreshing one reaches the
      // point; either way the agent ends there.
      agent.get("/v1/token");
      CHECK(agent.process->wait(10s).exit_code == 128 + SIGKILL);
      auto text = read_file(setup.path());
      REQUIRE_FALSE(text.empty());
      CHECK((file_mode(setup.path()) & 0777) == 0600);
      auto after = setup.keap({"refresh"});
      INFO(after.err);
      CHECK(after.exit_code == expected);
    }
  }
}

TEST_CASE("agent: kill -9 in the middle of a refresh with the PostgreSQL store loses nothing that was journaled",
          "[agent][kill][postgres]") {
  // The journal is written before the UPDATE: from after-journal on, the next command replays it.
  for (auto [point, expected] : {std::pair{"after-lock", 0},
                                 {"after-answer", 4},
                                 {"after-journal", 0},
                                 {"after-update", 0},
                                 {"after-commit", 0}}) {
    DYNAMIC_SECTION(point) {
      PgSetup setup;
      auto old = setup.seed("default", -1h);
      auto socket = setup.dir.file("agent.sock");
      auto agent = setup.start({"agent", "--listen", "unix:" + socket}, 0, {{"KEAP_AUTH_TEST_CRASH_AT", point}});
      REQUIRE(agent->wait_for_err("listening", 30s));
      unix_get(socket, "/v1/token"); // may be served once committed, as above
      CHECK(agent->wait(10s).exit_code == 128 + SIGKILL);
      auto after = setup.keap({"refresh"});
      INFO(after.err);
      CHECK(after.exit_code == expected);
      if (expected == 0) {
        auto now_stored = setup.grant();
        CHECK(now_stored.refresh_token != old.refresh_token);
        CHECK(setup.emulator.server.state().refresh_token_valid(now_stored.refresh_token, util::now_seconds()));
      }
    }
  }
}

TEST_CASE("agent: a sink has the configured mode and group", "[agent][sinks]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 20h);
  auto sink = setup.dir.file("shared/token.env");
  ::mkdir(setup.dir.file("shared").c_str(), 0755);
  // Another group than the test's own when the test may give files away (root, as in CI).
  auto* group = ::geteuid() == 0 ? ::getgrnam("nogroup") : ::getgrgid(::getegid());
  REQUIRE(group != nullptr);
  std::string group_name = group->gr_name;
  auto group_id = group->gr_gid;
  write_file(
      setup.config,
      [&] {
        auto config = nlohmann::json::parse(read_file(setup.config));
        config["agent"] = {
            {"sinks",
             {{{"profile", "default"}, {"path", sink}, {"format", "env"}, {"mode", "0640"}, {"group", group_name}}}}};
        return config.dump();
      }(),
      0600);
  Agent agent(setup);
  REQUIRE(eventually([&] { return file_exists(sink); }));
  struct stat info {};
  REQUIRE(::stat(sink.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0640);
  CHECK(info.st_gid == group_id);
  CHECK(read_file(sink).starts_with("KEAP_ACCESS_TOKEN=" + grant.access_token + "\n"));
}
