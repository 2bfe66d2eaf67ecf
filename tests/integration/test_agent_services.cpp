// The agent's example services of examples/agent/ (Python, Node, PHP, shell) and its sink reader, each
// run as a real process against a real `keap-auth agent` and the emulator: the contacts they print
// with the header the agent gives (a key's in X-Keap-API-Key), the token they keep until its
// refresh_at, a rotation and a 401 survived with one retry, and the failures they report with the
// agent's exit code. scripts/setup.sh --tests installs every interpreter: one that is missing fails
// here rather than passing without having run its client.
#include "support/agent_client.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <sstream>

#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

struct Client {
  std::string language;
  std::string program;            ///< the interpreter, looked for in /usr/bin first (where Debian puts it)
  std::vector<std::string> probe; ///< arguments that exit 0 when the interpreter has what the client needs
  std::string script;             ///< under examples/agent/
  std::string packages;           ///< what scripts/setup.sh --tests installs for it
};

const std::vector<Client>& clients() {
  static const std::vector<Client> all{
      {"python", "python3", {"-c", "import http.client, json"}, "contacts.py", "python3"},
      {"node", "node", {"-e", "if (typeof fetch !== 'function') process.exit(1)"}, "contacts.mjs", "nodejs (18+)"},
      {"php", "php", {"-r", "exit(extension_loaded('curl') ? 0 : 1);"}, "contacts.php", "php-cli php-curl"},
      {"shell", "sh", {"-c", "command -v curl"}, "contacts.sh", "curl"},
  };
  return all;
}

const Client k_sink_reader{"python", "python3", {"-c", "import http.client, json"}, "sink_reader.py", "python3"};

/// How often a looping client calls Keap: fast enough for a test, slow enough not to flood the log.
const std::string k_every = "0.2";

std::string script_path(const Client& client) {
  return std::string(KEAP_SOURCE_DIR) + "/examples/agent/" + client.script;
}

std::vector<std::string> search_path() {
  std::vector<std::string> folders{"/usr/bin"};
  std::stringstream path(std::getenv("PATH") != nullptr ? std::getenv("PATH") : "");
  for (std::string folder; std::getline(path, folder, ':');) {
    if (!folder.empty()) {
      folders.push_back(folder);
    }
  }
  return folders;
}

/// The first `program` on the search path that passes the client's probe; the test fails without one.
std::string interpreter(const Client& client) {
  for (const auto& folder : search_path()) {
    auto candidate = folder + "/" + client.program;
    if (::access(candidate.c_str(), X_OK) == 0) {
      auto argv = std::vector<std::string>{candidate};
      argv.insert(argv.end(), client.probe.begin(), client.probe.end());
      if (run(argv).exit_code == 0) {
        return candidate;
      }
    }
  }
  FAIL("no " << client.program << " that can run " << client.script << ": install " << client.packages
             << " (scripts/setup.sh --tests does)");
  return {};
}

/// A folder holding a wrapper named curl that appends its arguments to a log and execs the real one:
/// every command line the shell client gave curl, to search for tokens.
struct CurlSpy {
  CurlSpy() {
    for (const auto& folder : search_path()) {
      if (::access((folder + "/curl").c_str(), X_OK) == 0) {
        write_file(dir.file("curl"),
                   "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + dir.file("curl.argv") + "'\nexec '" + folder +
                       "/curl' \"$@\"\n",
                   0755);
        return;
      }
    }
  }
  std::string argv() const { return file_exists(dir.file("curl.argv")) ? read_file(dir.file("curl.argv")) : ""; }
  TempDir dir;
};

/// A `keap-auth agent` process listening on `socket`, once it says so; stopped with SIGTERM at the end.
struct Agent {
  Agent(std::unique_ptr<Process> started, std::string where) : process(std::move(started)), socket(std::move(where)) {
    REQUIRE(process->wait_for_err("listening", 20s));
  }
  Agent(Agent&&) = default;
  ~Agent() {
    if (process && process->running()) {
      process->send_signal(SIGTERM);
      process->wait(20s);
    }
  }
  std::string metrics() const { return unix_get(socket, "/metrics").body; }
  std::unique_ptr<Process> process;
  std::string socket;
};

/// The agent on agent.sock in the setup's folder, serving the setup's config.
Agent start_agent(Setup& setup, std::vector<std::string> arguments = {}) {
  auto socket = setup.dir.file("agent.sock");
  arguments.insert(arguments.begin(), {"agent", "--listen", "unix:" + socket});
  return Agent(setup.start(arguments), socket);
}

/// The argv and environment that run `client` against `setup`'s emulator: the agent's socket named by
/// KEAP_AGENT_SOCKET unless `socket` is empty, the curl spy first on PATH.
struct Invocation {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
};
Invocation invocation(const Client& client, const std::string& program, Setup& setup, const std::string& socket,
                      const CurlSpy& spy, const std::vector<std::string>& arguments = {}) {
  // Process appends to the inherited environment, and a second PATH would lose to the first: env -u
  // leaves only the one that puts the spy first.
  auto path = spy.dir.path() + ":" + (std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin");
  Invocation made{{"/usr/bin/env", "-u", "PATH", "PATH=" + path, program, script_path(client)},
                  {{"KEAP_API_BASE_URL", setup.emulator.server.base_url() + "/crm/rest"}}};
  made.argv.insert(made.argv.end(), arguments.begin(), arguments.end());
  if (!socket.empty()) {
    made.env["KEAP_AGENT_SOCKET"] = socket;
  }
  return made;
}

/// Runs `client` once, to its end.
ProcessResult run_client(const Client& client, const std::string& program, Setup& setup, const std::string& socket,
                         const CurlSpy& spy, std::map<std::string, std::string> env = {}) {
  auto how = invocation(client, program, setup, socket, spy);
  env.merge(how.env);
  return run(how.argv, env, spy.dir.path());
}

/// Starts `client` calling Keap every k_every seconds until it is stopped.
std::unique_ptr<Process> start_looping(const Client& client, const std::string& program, Setup& setup,
                                       const std::string& socket, const CurlSpy& spy,
                                       std::map<std::string, std::string> env = {}) {
  auto how = invocation(client, program, setup, socket, spy, {k_every});
  env.merge(how.env);
  return std::make_unique<Process>(how.argv, env, spy.dir.path());
}

/// Stops a looping client that must still be running (it stops on its own only when it fails).
ProcessResult stop(Process& client) {
  INFO(client.err());
  REQUIRE(client.running());
  client.send_signal(SIGTERM);
  return client.wait(20s);
}

std::vector<emulator::ApiRequestRecord> api_requests(Setup& setup) { return setup.emulator.server.rest().requests(); }

std::vector<int> statuses(Setup& setup) {
  std::vector<int> all;
  for (const auto& request : api_requests(setup)) {
    all.push_back(request.status);
  }
  return all;
}

/// "[401, 200, ...]", for a failure's message.
std::string listed(const std::vector<int>& numbers) {
  std::string text;
  for (auto number : numbers) {
    text += (text.empty() ? "" : ", ") + std::to_string(number);
  }
  return "[" + text + "]";
}

/// Makes the agent refresh now, as it would ahead of time, and returns the new token.
std::string rotate(const Agent& agent) {
  // A min_valid longer than any token's life: the agent refreshes before it answers.
  auto answer = unix_get(agent.socket, "/v1/token?min_valid=30d", "Accept: text/plain\r\n");
  INFO(answer.raw);
  REQUIRE(answer.status == 200);
  return answer.body.substr(0, answer.body.find('\n'));
}

/// The value of a series of the agent's metrics ("" when it has none yet).
std::string series(const std::string& metrics, const std::string& name) {
  auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos
             ? ""
             : metrics.substr(at + name.size() + 2, metrics.find('\n', at + 1) - at - name.size() - 2);
}

const std::string k_token_answers = R"(keap_auth_requests_total{endpoint="/v1/token",status="200"})";
const std::string k_rejected_answers = R"(keap_auth_requests_total{endpoint="/v1/token/rejected",status="200"})";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Calls `check` once per client (one section each).
template <typename Check> void for_each_client(Check check) {
  for (const auto& client : clients()) {
    DYNAMIC_SECTION(client.language) {
      auto program = interpreter(client);
      INFO(client.language << " client, run by " << program);
      check(client, program);
    }
  }
}

/// Stores the emulator's Personal Access Token as the default profile's credential; returns it.
std::string store_key(Setup& setup) {
  auto key = setup.emulator.server.rest().personal_access_token();
  write_file(setup.dir.file("pat.txt"), key + "\n", 0600);
  auto login = setup.keap({"login", "--api-key-file", setup.dir.file("pat.txt")});
  INFO(login.err);
  REQUIRE(login.exit_code == 0);
  return key;
}

} // namespace

TEST_CASE("agent services: each client prints the contacts it got with the header the agent gave",
          "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto seeded = seed_credentials(setup.emulator, setup.path(), 20h);
    auto agent = start_agent(setup);
    CurlSpy spy;
    auto result = run_client(client, program, setup, agent.socket, spy);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(json_of(result)["contacts"].size() == 2);
    auto requests = api_requests(setup);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].path == "/v1/contacts");
    CHECK(requests[0].query == "limit=2");
    CHECK(requests[0].credential == "oauth");
    CHECK(requests[0].credential_header == "Authorization");
    CHECK(requests[0].status == 200);
    CHECK(series(agent.metrics(), k_token_answers) == "1");
    CHECK(refresh_grants(setup.emulator, 0) == 0);
    CHECK_FALSE(contains(result.err, seeded.access_token));
    CHECK_FALSE(contains(spy.argv(), seeded.access_token));
  });
}

TEST_CASE("agent services: with a Personal Access Token stored each client sends it in X-Keap-API-Key",
          "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto key = store_key(setup);
    auto agent = start_agent(setup);
    CurlSpy spy;
    auto result = run_client(client, program, setup, agent.socket, spy);
    INFO(result.err);
    REQUIRE(result.exit_code == 0); // the emulator, as Keap, refuses a key sent as Bearer
    auto requests = api_requests(setup);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].credential == "pat");
    CHECK(requests[0].credential_header == "X-Keap-API-Key");
    CHECK_FALSE(contains(result.err, key));
    CHECK_FALSE(contains(spy.argv(), key));
  });
}

TEST_CASE("agent services: on a 401 each client hands the token to /v1/token/rejected and retries once with the "
          "new one",
          "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto seeded = seed_credentials(setup.emulator, setup.path(), 20h);
    setup.emulator.server.state().expire_access_token(seeded.access_token); // valid by the file, dead at Keap
    auto agent = start_agent(setup);
    CurlSpy spy;
    auto result = run_client(client, program, setup, agent.socket, spy);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(json_of(result)["contacts"].size() == 2);
    INFO("statuses " << listed(statuses(setup)));
    CHECK(statuses(setup) == std::vector<int>{401, 200});
    CHECK(refresh_grants(setup.emulator, 0) == 1);
    auto fresh = load_grant(setup.path()).access_token;
    CHECK(fresh != seeded.access_token);
    auto metrics = agent.metrics();
    CHECK(series(metrics, k_token_answers) == "1");
    CHECK(series(metrics, k_rejected_answers) == "1");
    for (const auto& token : {seeded.access_token, fresh}) {
      CHECK_FALSE(contains(result.err, token));
      CHECK_FALSE(contains(result.out, token));
      CHECK_FALSE(contains(spy.argv(), token)); // the rejected token reached the agent on curl's stdin
    }
  });
}

TEST_CASE("agent services: a second 401 is a failure that names it, with nothing on stdout", "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    seed_credentials(setup.emulator, setup.path(), 20h);
    setup.emulator.server.rest().add_fault(emulator::ApiFault::unauthorized, 2);
    auto agent = start_agent(setup);
    CurlSpy spy;
    auto result = run_client(client, program, setup, agent.socket, spy);
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.empty());
    CHECK(contains(result.err, client.script + ": GET "));
    CHECK(contains(result.err, "HTTP 401"));
    CHECK(api_requests(setup).size() == 2); // retried once, not in a loop
    CHECK(refresh_grants(setup.emulator, 0) == 1);
    CHECK_FALSE(contains(result.err, load_grant(setup.path()).access_token));
  });
}

TEST_CASE("agent services: each client keeps its token until refresh_at, and after the agent rotated it gets one 401 "
          "and the new token without another refresh",
          "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto seeded = seed_credentials(setup.emulator, setup.path(), 20h); // refresh_at about 10 hours away
    auto agent = start_agent(setup);
    CurlSpy spy;
    auto service = start_looping(client, program, setup, agent.socket, spy);
    REQUIRE(eventually([&] { return api_requests(setup).size() >= 2; }, 30s));
    CHECK(series(agent.metrics(), k_token_answers) == "1"); // two calls or more, one question

    auto fresh = rotate(agent);
    REQUIRE(fresh != seeded.access_token);
    // Keap may drop an access token once it is refreshed: the emulator does it here, so the token the
    // service kept gets a 401.
    setup.emulator.server.state().expire_access_token(seeded.access_token);
    auto before = api_requests(setup).size();
    REQUIRE(eventually([&] { return api_requests(setup).size() >= before + 3; }, 30s));
    auto result = stop(*service);
    INFO(result.err);

    auto all = statuses(setup);
    INFO("statuses " << listed(all));
    CHECK(std::count(all.begin(), all.end(), 401) == 1);
    CHECK(std::count(all.begin(), all.end(), 200) == static_cast<std::ptrdiff_t>(all.size()) - 1);
    CHECK(all.back() == 200);
    CHECK(refresh_grants(setup.emulator, 0) == 1); // the rotation's: the 401 was answered with its token
    auto metrics = agent.metrics();
    CHECK(series(metrics, k_token_answers) == "2"); // the service's first question, and rotate()'s
    CHECK(series(metrics, k_rejected_answers) == "1");
    for (const auto& token : {seeded.access_token, fresh}) {
      CHECK_FALSE(contains(result.err, token));
      CHECK_FALSE(contains(spy.argv(), token));
    }
  });
}

TEST_CASE("agent services: with no credentials each client exits with the agent's 4 and its hint, sending nothing",
          "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto agent = start_agent(setup);
    CurlSpy spy;
    auto result = run_client(client, program, setup, agent.socket, spy);
    INFO(result.err);
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(contains(result.err, client.script + ": keap-auth agent: "));
    CHECK(contains(result.err, "keap-auth login")); // the agent's hint, passed on
    CHECK(api_requests(setup).empty());
  });
}

TEST_CASE("agent services: a key that gets a 401 is the agent's 409 and exit 4 (keys are not refreshed)",
          "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto key = store_key(setup);
    setup.emulator.server.rest().add_fault(emulator::ApiFault::unauthorized, 1);
    auto agent = start_agent(setup);
    CurlSpy spy;
    auto result = run_client(client, program, setup, agent.socket, spy);
    INFO(result.err);
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(contains(result.err, "keap-auth login --api-key-file")); // the agent's hint: a new key is needed
    CHECK(api_requests(setup).size() == 1);
    CHECK_FALSE(contains(result.err, key));
    CHECK_FALSE(contains(spy.argv(), key));
  });
}

TEST_CASE("agent services: without an agent each client exits 1 naming the socket it tried", "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    seed_credentials(setup.emulator, setup.path(), 20h);
    CurlSpy spy;
    auto socket = setup.dir.file("agent.sock"); // nothing listens there
    auto result = run_client(client, program, setup, socket, spy);
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.empty());
    CHECK(contains(result.err, client.script + ": cannot reach keap-auth agent at " + socket));
    CHECK(api_requests(setup).empty());
  });
}

TEST_CASE("agent services: without KEAP_AGENT_SOCKET each client finds the agent's own default socket",
          "[agent][services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    seed_credentials(setup.emulator, setup.path(), 20h);
    TempDir runtime;
    // The agent picks its socket itself, from XDG_RUNTIME_DIR (RUNTIME_DIRECTORY, systemd's, would win).
    Agent agent(std::make_unique<Process>(std::vector<std::string>{"/usr/bin/env", "-u", "RUNTIME_DIRECTORY",
                                                                   keap_auth(), "agent", "--config", setup.config},
                                          std::map<std::string, std::string>{{"XDG_RUNTIME_DIR", runtime.path()}}),
                runtime.file("keap-auth/agent.sock"));
    REQUIRE(file_exists(agent.socket));
    CurlSpy spy;
    auto result = run_client(client, program, setup, "", spy, {{"XDG_RUNTIME_DIR", runtime.path()}});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(statuses(setup) == std::vector<int>{200});
  });
}

TEST_CASE("agent services: the sink reader calls Keap with the header in a header or json sink",
          "[agent][services][sinks]") {
  auto program = interpreter(k_sink_reader);
  Setup setup;
  auto sink = setup.dir.file("token.header");
  std::string key;
  std::string expected_header;
  SECTION("an OAuth token in a header sink") {
    auto seeded = seed_credentials(setup.emulator, setup.path(), 20h);
    key = seeded.access_token;
    expected_header = "Authorization";
  }
  SECTION("a Personal Access Token in a json sink") {
    key = store_key(setup);
    sink = setup.dir.file("token.json");
    expected_header = "X-Keap-API-Key";
  }
  auto format = sink.ends_with(".json") ? "json" : "header";
  auto agent = start_agent(setup, {"--sink", "default:" + sink + ":" + format});
  REQUIRE(eventually([&] { return file_exists(sink); }));
  CurlSpy spy;
  auto result = run_client(k_sink_reader, program, setup, "", spy, {{"KEAP_SINK", sink}});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(json_of(result)["contacts"].size() == 2);
  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].credential_header == expected_header);
  CHECK(requests[0].status == 200);
  CHECK_FALSE(contains(result.err, key));
}

TEST_CASE("agent services: the sink reader re-reads its sink on a 401 and keeps the last good token when a read fails",
          "[agent][services][sinks]") {
  auto program = interpreter(k_sink_reader);
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), 20h);
  auto sink = setup.dir.file("token.header");
  auto agent = start_agent(setup, {"--sink", "default:" + sink + ":header"});
  REQUIRE(eventually([&] { return file_exists(sink); }));
  CurlSpy spy;
  auto reader = start_looping(k_sink_reader, program, setup, "", spy, {{"KEAP_SINK", sink}});
  REQUIRE(eventually([&] { return api_requests(setup).size() >= 2; }, 30s));

  // The agent rotates the token and rewrites the sink; Keap drops the old token, which the reader
  // still holds (it re-reads only once a minute): one 401, a re-read, the new token.
  auto fresh = rotate(agent);
  REQUIRE(eventually([&] { return read_file(sink) == "Authorization: Bearer " + fresh + "\n"; }));
  setup.emulator.server.state().expire_access_token(seeded.access_token);
  auto after_rotation = api_requests(setup).size();
  REQUIRE(eventually([&] { return api_requests(setup).size() >= after_rotation + 3; }, 30s));

  // The file turns unreadable, and a passing 401 makes the reader read it: it keeps the new token.
  write_file(sink, "half a line", 0600);
  setup.emulator.server.rest().add_fault(emulator::ApiFault::unauthorized, 1);
  REQUIRE(reader->wait_for_err("keeping the last good token", 30s));
  REQUIRE(eventually(
      [&] {
        auto all = statuses(setup);
        return std::count(all.begin(), all.end(), 401) == 2 && all.back() == 200;
      },
      30s));
  auto result = stop(*reader);
  INFO(result.err);

  auto all = statuses(setup);
  INFO("statuses " << listed(all));
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK((all[i] == 200 || (all[i] == 401 && i + 1 < all.size() && all[i + 1] == 200)));
  }
  CHECK(refresh_grants(setup.emulator, 0) == 1); // the rotation's: a sink reader never makes the agent refresh
  CHECK(contains(result.err, "sink_reader.py: cannot read " + sink));
  for (const auto& token : {seeded.access_token, fresh}) {
    CHECK_FALSE(contains(result.err, token));
  }
}

TEST_CASE("agent services: the sink reader fails on a missing sink and on a second 401, naming each",
          "[agent][services][sinks]") {
  auto program = interpreter(k_sink_reader);
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 20h);
  auto sink = setup.dir.file("token.header");
  CurlSpy spy;
  auto missing = run_client(k_sink_reader, program, setup, "", spy, {{"KEAP_SINK", sink}});
  INFO(missing.err);
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.empty());
  CHECK(contains(missing.err, "sink_reader.py: cannot read a token from " + sink));

  auto agent = start_agent(setup, {"--sink", "default:" + sink + ":header"});
  REQUIRE(eventually([&] { return file_exists(sink); }));
  setup.emulator.server.rest().add_fault(emulator::ApiFault::unauthorized, 2);
  auto refused = run_client(k_sink_reader, program, setup, "", spy, {{"KEAP_SINK", sink}});
  INFO(refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.empty());
  CHECK(contains(refused.err, "sink_reader.py: GET "));
  CHECK(contains(refused.err, "HTTP 401"));
  CHECK(api_requests(setup).size() == 2);
}
