// The service examples of examples/services/ (Python, Node, PHP, shell), each run as a real process
// against the emulator: the contacts they print, the 401 that `keap-auth token --rejected -` repairs
// with one refresh, the failures they report, and that no token is ever on a command line. A client
// whose interpreter (or library) is missing is skipped with a warning; CI installs them all.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
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
  std::string script;             ///< under examples/services/
  std::string packages;           ///< what to install, for the skip message
};

const std::vector<Client>& clients() {
  static const std::vector<Client> all{
      {"python", "python3", {"-c", "import requests"}, "contacts.py", "python3-requests"},
      {"node", "node", {"-e", "if (typeof fetch !== 'function') process.exit(1)"}, "contacts.mjs", "nodejs (18+)"},
      {"php", "php", {"-r", "exit(extension_loaded('curl') ? 0 : 1);"}, "contacts.php", "php-cli php-curl"},
      {"shell", "sh", {"-c", "command -v curl"}, "contacts.sh", "curl"},
  };
  return all;
}

std::string script_path(const Client& client) {
  return std::string(KEAP_SOURCE_DIR) + "/examples/services/" + client.script;
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

/// The first `program` on the search path that passes the client's probe, or nothing.
std::optional<std::string> interpreter(const Client& client) {
  for (const auto& folder : search_path()) {
    auto candidate = folder + "/" + client.program;
    if (::access(candidate.c_str(), X_OK) == 0) {
      auto candidate_argv = std::vector<std::string>{candidate};
      candidate_argv.insert(candidate_argv.end(), client.probe.begin(), client.probe.end());
      if (run(candidate_argv).exit_code == 0) {
        return candidate;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> on_path(const std::string& program) {
  for (const auto& folder : search_path()) {
    if (::access((folder + "/" + program).c_str(), X_OK) == 0) {
      return folder + "/" + program;
    }
  }
  return std::nullopt;
}

/// A folder of wrappers named keap-auth and curl that append their arguments to a log and exec the
/// real program: every command line the client gave the processes it started, to search for tokens.
struct Spies {
  Spies() {
    spy("keap-auth", keap_auth());
    if (auto curl = on_path("curl")) {
      spy("curl", *curl);
    }
  }
  void spy(const std::string& name, const std::string& real) const {
    write_file(dir.file(name),
               "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + dir.file(name + ".argv") + "'\nexec '" + real + "' \"$@\"\n",
               0755);
  }
  std::string argv_of(const std::string& name) const {
    auto log = dir.file(name + ".argv");
    return file_exists(log) ? read_file(log) : "";
  }
  TempDir dir;
};

/// Runs `client` against `setup`'s emulator. `by_path`: keap-auth is found on PATH (the default), else
/// named by KEAP_AUTH. The config comes from KEAP_AUTH_CONFIG only: the working folder has none.
ProcessResult run_client(const Client& client, const std::string& program, Setup& setup, const Spies& spies,
                         bool by_path) {
  std::map<std::string, std::string> env{{"KEAP_AUTH_CONFIG", setup.config},
                                         {"KEAP_API_BASE_URL", setup.emulator.server.base_url() + "/crm/rest"}};
  if (!by_path) {
    env["KEAP_AUTH"] = spies.dir.file("keap-auth");
  }
  // run() appends to the inherited environment, and a second PATH would lose to the first: env -u
  // leaves only the one that puts the spies first.
  auto path = spies.dir.path() + ":" + (std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin");
  return run({"/usr/bin/env", "-u", "PATH", "PATH=" + path, program, script_path(client)}, env, spies.dir.path());
}

std::vector<emulator::ApiRequestRecord> api_requests(Setup& setup) { return setup.emulator.server.rest().requests(); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Calls `check` once per client whose interpreter is here (one section each), warning about the rest.
template <typename Check> void for_each_client(Check check) {
  for (const auto& client : clients()) {
    DYNAMIC_SECTION(client.language) {
      auto program = interpreter(client);
      if (!program) {
        WARN("skipping the " << client.language << " client: no " << client.program << " that can run it (install "
                             << client.packages << ")");
        continue;
      }
      INFO(client.language << " client, run by " << *program);
      check(client, *program);
    }
  }
}

} // namespace

TEST_CASE("services: each client prints the contacts it got with the token from keap-auth", "[services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto seeded = seed_credentials(setup.emulator, setup.path(), 1h);
    Spies spies;
    auto result = run_client(client, program, setup, spies, true);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(json_of(result)["contacts"].size() == 1);
    auto requests = api_requests(setup);
    REQUIRE(requests.size() == 1);
    REQUIRE(requests[0].path == "/v1/contacts");
    REQUIRE(requests[0].query == "limit=1");
    REQUIRE(requests[0].credential == "oauth");
    REQUIRE(requests[0].credential_header == "Authorization");
    REQUIRE(requests[0].status == 200);
    REQUIRE(refresh_grants(setup.emulator, 0) == 0);
    REQUIRE(spies.argv_of("keap-auth") == "token --header\n");
    REQUIRE_FALSE(contains(spies.argv_of("curl"), seeded.access_token));
    REQUIRE_FALSE(contains(result.err, seeded.access_token));
  });
}

TEST_CASE("services: with a Personal Access Token each client sends it in X-Keap-API-Key, as Keap needs",
          "[services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto key = setup.emulator.server.rest().personal_access_token();
    write_file(setup.dir.file("pat.txt"), key + "\n", 0600);
    REQUIRE(setup.keap({"login", "--api-key-file", setup.dir.file("pat.txt")}).exit_code == 0);
    Spies spies;
    auto result = run_client(client, program, setup, spies, true);
    INFO(result.err);
    REQUIRE(result.exit_code == 0); // the emulator, as Keap, refuses a key sent as Bearer
    auto requests = api_requests(setup);
    REQUIRE(requests.size() == 1);
    REQUIRE(requests[0].credential == "pat");
    REQUIRE(requests[0].credential_header == "X-Keap-API-Key");
    REQUIRE_FALSE(contains(spies.argv_of("curl"), key));
    REQUIRE_FALSE(contains(spies.argv_of("keap-auth"), key));
  });
}

TEST_CASE("services: on a 401 each client gets a good token from token --rejected on stdin and retries once",
          "[services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    auto seeded = seed_credentials(setup.emulator, setup.path(), 1h);
    setup.emulator.server.state().expire_access_token(seeded.access_token); // valid by the file, dead at Keap
    Spies spies;
    auto result = run_client(client, program, setup, spies, false);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(json_of(result)["contacts"].size() == 1);
    auto requests = api_requests(setup);
    REQUIRE(requests.size() == 2);
    REQUIRE(requests[0].status == 401);
    REQUIRE(requests[1].status == 200);
    REQUIRE(requests[1].credential_header == "Authorization");
    REQUIRE(refresh_grants(setup.emulator) == 1);
    REQUIRE(refresh_grants(setup.emulator, 0) == 1);
    auto fresh = load_grant(setup.path()).access_token;
    REQUIRE(fresh != seeded.access_token);
    // The rejected token went on stdin: keap-auth's argv is only these, and curl's holds neither token.
    REQUIRE(spies.argv_of("keap-auth") == "token --header\ntoken --header --rejected -\n");
    for (const auto& token : {seeded.access_token, fresh}) {
      REQUIRE_FALSE(contains(spies.argv_of("curl"), token));
      REQUIRE_FALSE(contains(result.err, token));
      REQUIRE_FALSE(contains(result.out, token));
    }
    if (client.language == "shell") {
      auto curl = spies.argv_of("curl");
      REQUIRE(std::count(curl.begin(), curl.end(), '\n') == 2); // curl ran (spied on) for both calls
    }
  });
}

TEST_CASE("services: a second 401 is a failure that names it, with nothing on stdout and no token anywhere",
          "[services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    seed_credentials(setup.emulator, setup.path(), 1h);
    setup.emulator.server.rest().add_fault(emulator::ApiFault::unauthorized, 2);
    Spies spies;
    auto result = run_client(client, program, setup, spies, false);
    INFO(result.err);
    REQUIRE(result.exit_code != 0);
    REQUIRE(result.out.empty());
    REQUIRE(contains(result.err, "HTTP 401"));
    REQUIRE(contains(result.err, client.script + ": GET "));
    REQUIRE(api_requests(setup).size() == 2); // retried once, not in a loop
    REQUIRE(refresh_grants(setup.emulator, 0) == 1);
    REQUIRE_FALSE(contains(result.err, load_grant(setup.path()).access_token));
  });
}

TEST_CASE("services: with no credentials each client exits with keap-auth's 4 and its hint, sending nothing",
          "[services]") {
  for_each_client([](const Client& client, const std::string& program) {
    Setup setup;
    Spies spies;
    auto result = run_client(client, program, setup, spies, false);
    INFO(result.err);
    REQUIRE(result.exit_code == 4);
    REQUIRE(result.out.empty());
    REQUIRE(contains(result.err, "keap-auth login"));    // keap-auth's own hint, passed through
    REQUIRE(contains(result.err, client.script + ": ")); // and the client's line saying what failed
    REQUIRE(api_requests(setup).empty());
  });
}

TEST_CASE("services: every client hands the rejected token to keap-auth as --rejected - (stdin)", "[services]") {
  // The runs above prove it for the paths they take; this reads the source for any other call.
  std::regex stdin_form(R"(--rejected['"]?,?\s*['"]?-(['"\s)\]]|$))");
  for (const auto& client : clients()) {
    INFO(client.script);
    std::ifstream file(script_path(client));
    REQUIRE(file);
    size_t calls = 0;
    for (std::string line; std::getline(file, line);) {
      if (contains(line, "--rejected") && !contains(line, "`token --rejected -`")) { // the header comment
        INFO(line);
        size_t mentions = 0;
        for (auto at = line.find("--rejected"); at != std::string::npos; at = line.find("--rejected", at + 1)) {
          ++mentions;
        }
        auto forms = std::distance(std::sregex_iterator(line.begin(), line.end(), stdin_form), std::sregex_iterator());
        REQUIRE(static_cast<size_t>(forms) == mentions); // each one, not just one of them
        calls += mentions;
      }
      if (contains(line, "Bearer ") && !contains(line, "//") && !contains(line, "#") && !contains(line, "- ")) {
        INFO(line);
        FAIL("a client builds an Authorization header itself instead of using `keap-auth token --header`");
      }
    }
    REQUIRE(calls >= 1);
  }
}
