// What an operator's habits need: a config found in ~/.config or /etc, systemd's credentials and state
// folders, `config show` and `config path` for "it works in my shell but not in cron", and
// `login --if-needed` for playbooks that must report "changed" only when something changed.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// A home with the setup's config moved to ~/.config/keap-auth/config.json, without a credentials_file,
/// and an empty working folder: nothing names the config, it has to be found.
struct Discovered {
  explicit Discovered(Setup& setup) {
    auto json = nlohmann::json::parse(read_file(setup.config));
    json.erase("credentials_file");
    std::filesystem::create_directories(home.file(".config/keap-auth"));
    config = home.file(".config/keap-auth/config.json");
    write_file(config, json.dump(2), 0600);
  }
  std::map<std::string, std::string> env() const {
    return {{"HOME", home.path()}, {"XDG_CONFIG_HOME", home.file(".config")}, {"XDG_STATE_HOME", home.file("state")}};
  }
  ProcessResult keap(const std::vector<std::string>& arguments, std::map<std::string, std::string> more = {}) const {
    std::vector<std::string> argv{keap_auth()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    more.merge(env());
    return run(argv, more, cwd.path());
  }
  TempDir home;
  TempDir cwd;
  std::string config;
};

} // namespace

TEST_CASE(
    "config: one in ~/.config is found, and config path and config show say which file and where each value came from",
    "[cli][config][operator]") {
  Setup setup;
  Discovered discovered(setup);
  auto path = discovered.keap({"config", "path"});
  INFO(path.err);
  REQUIRE(path.exit_code == 0);
  CHECK(path.out == discovered.config + "\n");

  auto show = discovered.keap({"config", "show", "--json"}, {{"KEAP_CLIENT_ID", k_client_id}});
  INFO(show.err);
  REQUIRE(show.exit_code == 0);
  auto json = json_of(show);
  CHECK(json["config_file"] == discovered.config);
  CHECK(json["keys"]["client_secret"]["value"] == "[set]");
  CHECK(json["keys"]["client_secret"]["origin"] == discovered.config);
  CHECK(json["keys"]["client_id"]["origin"] == "KEAP_CLIENT_ID");
  CHECK(json["keys"]["scope"]["origin"] == "default");
  // Beside a config in ~/.config is no place for credentials: they go to the state folder.
  auto state_file = discovered.home.file("state/keap-auth/keap-credentials.json");
  CHECK(json["keys"]["credentials_file"]["value"] == state_file);
  CHECK(show.out.find(k_client_secret) == std::string::npos);
  auto with_password =
      discovered.keap({"config", "show"}, {{"KEAP_STORE_URL", "postgresql://keap:hunter2-pw@db/keap"}});
  CHECK(with_password.exit_code == 0);
  CHECK(with_password.out.find("hunter2-pw") == std::string::npos);
  CHECK(with_password.out.find("store_passfile") != std::string::npos);
  auto human = discovered.keap({"config", "show"});
  CHECK(human.exit_code == 0);
  CHECK(human.out.find("client_secret") != std::string::npos);
  CHECK(human.out.find(k_client_secret) == std::string::npos);

  // Both executables find it: the light one answers token from the state folder's credentials.
  std::filesystem::create_directories(discovered.home.file("state/keap-auth"));
  auto grant = seed_credentials(setup.emulator, state_file, 1h);
  auto token = discovered.keap({"token"});
  INFO(token.err);
  CHECK(token.exit_code == 0);
  CHECK(token.out == grant.access_token + "\n");

  // ./keap-auth.json comes first.
  write_file(discovered.cwd.file("keap-auth.json"), read_file(discovered.config), 0600);
  CHECK(discovered.keap({"config", "path"}).out == "keap-auth.json\n");
}

TEST_CASE("config: with no file anywhere, config path exits 1 naming every place it looked",
          "[cli][config][operator]") {
  TempDir home;
  TempDir cwd;
  auto result =
      run({keap_auth(), "config", "path"}, {{"HOME", home.path()}, {"XDG_CONFIG_HOME", home.file("c")}}, cwd.path());
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(result.err.find("./keap-auth.json") != std::string::npos);
  CHECK(result.err.find(home.file("c") + "/keap-auth/config.json") != std::string::npos);
  CHECK(result.err.find("/etc/keap-auth/config.json") != std::string::npos);
}

TEST_CASE("config: under systemd, $CREDENTIALS_DIRECTORY gives the secret and $STATE_DIRECTORY holds the credentials",
          "[cli][config][operator]") {
  Setup setup;
  auto json = nlohmann::json::parse(read_file(setup.config));
  json.erase("client_secret");
  json.erase("credentials_file");
  write_file(setup.config, json.dump(2), 0600);
  TempDir delivered;
  write_file(delivered.file("keap-client-secret"), k_client_secret + "\n", 0600);
  TempDir state;
  std::map<std::string, std::string> unit{{"CREDENTIALS_DIRECTORY", delivered.path()},
                                          {"STATE_DIRECTORY", state.path()}};
  auto show = setup.keap({"config", "show", "--json"}, unit);
  REQUIRE(show.exit_code == 0);
  CHECK(json_of(show)["keys"]["client_secret"]["origin"] == delivered.file("keap-client-secret"));

  // A named config keeps its default credentials beside it, so this unit names its file.
  auto login = start_login({"--no-browser", "--config", setup.config, "--credentials", state.file("keap.json")}, unit);
  browse(login.authorize_url);
  auto result = login.process->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 0); // the emulator checked the delivered secret at the code exchange
  CHECK(file_mode(state.file("keap.json")) == 0600);
  CHECK(read_file(state.file("keap.json")).find(k_client_secret) != std::string::npos);

  // Without a named config, the credentials' default home is the unit's state folder.
  TempDir cwd;
  auto paths =
      run({keap_auth(), "config", "show", "--json"},
          {{"STATE_DIRECTORY", state.path()}, {"HOME", cwd.path()}, {"XDG_CONFIG_HOME", cwd.file("none")}}, cwd.path());
  REQUIRE(paths.exit_code == 0);
  CHECK(json_of(paths)["keys"]["credentials_file"]["value"] == state.file("keap-credentials.json"));
  CHECK(json_of(paths)["keys"]["credentials_dir"]["value"] == state.file("credentials"));
}

TEST_CASE("login --if-needed: usable credentials are left alone, anything else logs in, and --json says which",
          "[login][operator]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:" + std::to_string(free_port()) + "/callback"}});
  SECTION("usable: exit 0, changed false, the file and the emulator untouched") {
    seed_credentials(setup.emulator, setup.path(), 1h);
    auto before = read_file(setup.path());
    auto requests = setup.emulator.server.state().token_requests().size();
    for (const auto& mode : std::vector<std::vector<std::string>>{{"--no-browser"}, {"--begin"}}) {
      std::vector<std::string> arguments{"login", "--if-needed", "--json"};
      arguments.insert(arguments.end(), mode.begin(), mode.end());
      auto result = setup.keap(arguments);
      INFO(result.err);
      CHECK(result.exit_code == 0);
      auto json = json_of(result);
      CHECK(json["changed"] == false);
      CHECK_FALSE(json.contains("authorize_url"));
      CHECK(result.err.find("nothing was done") != std::string::npos);
    }
    CHECK(read_file(setup.path()) == before);
    CHECK(setup.emulator.server.state().token_requests().size() == requests);
    CHECK_FALSE(file_exists(setup.path() + ".pending"));
  }
  SECTION("none yet: --begin starts a login and says changed") {
    auto result = setup.keap({"login", "--if-needed", "--begin", "--json"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    auto json = json_of(result);
    CHECK(json["changed"] == true);
    CHECK(json["authorize_url"].get<std::string>().find("/app/oauth/authorize") != std::string::npos);
  }
  SECTION("a refresh token Keap rejected: a real login, changed true") {
    auto grant = seed_credentials(setup.emulator, setup.path(), -1h);
    kill_refresh_token(setup.emulator, grant);
    CHECK(setup.keap({"refresh"}).exit_code == 4); // now recorded as rejected: status says login
    auto login = start_login({"--if-needed", "--json", "--no-browser", "--config", setup.config});
    browse(login.authorize_url);
    auto result = login.process->wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(json_of(result)["changed"] == true);
    CHECK(load_grant(setup.path()).refresh_token != grant.refresh_token);
    CHECK(setup.keap({"status"}).exit_code == 0);
  }
}

TEST_CASE("playbook: the login include's commands, run twice, change nothing the second time", "[operator][playbook]") {
  // The commands of examples/keap-auth-login.ansible.yml, with its variables filled in.
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:8765/callback"}, {"credentials_dir", "creds"}});
  auto json = nlohmann::json::parse(read_file(setup.config));
  json.erase("client_secret");
  write_file(setup.config, json.dump(2), 0600);
  auto secret_file = setup.dir.file("client-secret");
  write_file(secret_file, k_client_secret + "\n", 0400);
  auto playbook = read_file(std::string(KEAP_SOURCE_DIR) + "/examples/keap-auth-login.ansible.yml");
  REQUIRE(playbook.find("keap-auth login --if-needed --begin --json --profile {{ keap_profile }}") !=
          std::string::npos);
  REQUIRE(playbook.find("changed_when: (keap_begin.stdout | from_json).changed") != std::string::npos);
  REQUIRE(playbook.find("keap-auth login --finish - --profile {{ keap_profile }}") != std::string::npos);
  std::vector<std::string> common{"--profile", "acme", "--client-secret-file", secret_file};

  auto play = [&](bool expect_change) {
    std::vector<std::string> begin{"login", "--if-needed", "--begin", "--json"};
    begin.insert(begin.end(), common.begin(), common.end());
    auto begun = setup.keap(begin);
    INFO(begun.err);
    REQUIRE(begun.exit_code == 0);
    auto answer = json_of(begun);
    REQUIRE(answer["changed"] == expect_change);
    if (!answer["changed"]) {
      return;
    }
    auto page = browser_get(answer["authorize_url"]); // the person approves; the browser lands on the redirect
    REQUIRE(page.status == 302);
    std::vector<std::string> finish{"login", "--finish", "-"};
    finish.insert(finish.end(), common.begin(), common.end());
    auto finished = setup.keap_with_input(finish, page.location + "\n");
    INFO(finished.err);
    REQUIRE(finished.exit_code == 0);
  };
  play(true);
  auto credentials = setup.dir.file("creds/acme.json");
  auto after_first = read_file(credentials);
  auto requests = setup.emulator.server.state().token_requests().size();
  play(false);
  CHECK(read_file(credentials) == after_first);
  CHECK(setup.emulator.server.state().token_requests().size() == requests);
  CHECK(setup.keap({"status", "--profile", "acme"}).exit_code == 0);
}

namespace {

const std::string k_systemd_analyze = "/usr/bin/systemd-analyze";

/// The units are verified in CI (scripts/setup.sh --tests installs systemd); a machine without it
/// fails here rather than passing without having checked anything.
void require_systemd_analyze() {
  INFO("install systemd for " << k_systemd_analyze << " (scripts/setup.sh --tests does)");
  REQUIRE(file_exists(k_systemd_analyze));
}

/// A unit as the build writes it for installation (`path` under build/package/), its ExecStart pointed
/// at the build's program: verify wants the program to exist.
std::string installed_unit(const std::string& path) {
  auto unit = read_file(std::string(KEAP_BINARY_DIR) + "/package/" + path);
  auto program = std::string(KEAP_INSTALL_PREFIX) + "/bin/keap-auth";
  auto at = unit.find("ExecStart=" + program);
  REQUIRE(at != std::string::npos);
  unit.replace(at + 10, program.size(), keap_auth());
  return unit;
}

std::string packaged_unit(const std::string& path) {
  return read_file(std::string(KEAP_SOURCE_DIR) + "/packaging/systemd/" + path);
}

/// `systemd-analyze verify` of `unit` in `folder`, which holds the units it names; `name` is what a
/// complaint about our own units would mention.
void verify_unit(const TempDir& folder, const std::string& unit, const std::string& name) {
  // --man=no: the man page they name is installed with the package, not in a build tree.
  auto result = run({k_systemd_analyze, "verify", "--man=no", folder.file(unit)});
  INFO(unit << ": " << result.out + result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.err.find(name) == std::string::npos); // verify warns about unknown keys and exits 0
}

} // namespace

TEST_CASE("examples: the systemd units pass systemd-analyze verify", "[operator][systemd]") {
  require_systemd_analyze();
  // verify wants the ExecStart program to exist: point it at the build's.
  TempDir units;
  auto service = read_file(std::string(KEAP_SOURCE_DIR) + "/examples/keap-auth-refresh.service");
  auto at = service.find("/usr/local/bin/keap-auth");
  REQUIRE(at != std::string::npos);
  service.replace(at, std::string("/usr/local/bin/keap-auth").size(), keap_auth());
  write_file(units.file("keap-auth-refresh.service"), service);
  write_file(units.file("keap-auth-refresh.timer"),
             read_file(std::string(KEAP_SOURCE_DIR) + "/examples/keap-auth-refresh.timer"));
  auto result = run(
      {k_systemd_analyze, "verify", units.file("keap-auth-refresh.service"), units.file("keap-auth-refresh.timer")});
  INFO(result.out + result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("keap-auth-refresh") == std::string::npos); // no complaint about our units
  for (const char* hardening : {"ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                                "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
                                "StateDirectory=", "LoadCredential=keap-client-secret:"}) {
    CHECK(service.find(hardening) != std::string::npos);
  }
}

TEST_CASE("package: the installed systemd units pass systemd-analyze verify, hardened as the example is",
          "[operator][systemd][package]") {
  require_systemd_analyze();
  // The units as the build writes them for installation, pointed at the build's program; the
  // template is verified as an instance for root, a user that exists everywhere.
  TempDir units;
  auto system = installed_unit("system/keap-auth-refresh@.service");
  write_file(units.file("keap-auth-refresh@root.service"), system);
  write_file(units.file("keap-auth-refresh@root.timer"), packaged_unit("keap-auth-refresh@.timer"));
  write_file(units.file("keap-auth-refresh.service"), installed_unit("user/keap-auth-refresh.service"));
  write_file(units.file("keap-auth-refresh.timer"), packaged_unit("user/keap-auth-refresh.timer"));
  for (const char* unit : {"keap-auth-refresh@root.service", "keap-auth-refresh@root.timer",
                           "keap-auth-refresh.service", "keap-auth-refresh.timer"}) {
    verify_unit(units, unit, "keap-auth-refresh");
  }
  for (const char* hardening : {"User=%i", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                                "NoNewPrivileges=yes", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
                                "StateDirectory=keap-auth/%i", "LoadCredential=keap-client-secret:"}) {
    CHECK(system.find(hardening) != std::string::npos);
  }
}

TEST_CASE("package: the agent's systemd units pass systemd-analyze verify, hardened as the refresh units are",
          "[operator][systemd][package][agent]") {
  require_systemd_analyze();
  // A folder each: the system's and the user's units have the same names. A .socket is verified with
  // its service beside it, which it starts.
  TempDir system_units;
  TempDir user_units;
  auto system = installed_unit("system/keap-auth-agent.service");
  auto system_socket = packaged_unit("keap-auth-agent.socket");
  auto user = installed_unit("user/keap-auth-agent.service");
  auto user_socket = packaged_unit("user/keap-auth-agent.socket");
  write_file(system_units.file("keap-auth-agent.service"), system);
  write_file(system_units.file("keap-auth-agent.socket"), system_socket);
  write_file(user_units.file("keap-auth-agent.service"), user);
  write_file(user_units.file("keap-auth-agent.socket"), user_socket);
  for (const auto* units : {&system_units, &user_units}) {
    for (const char* unit : {"keap-auth-agent.service", "keap-auth-agent.socket"}) {
      verify_unit(*units, unit, "keap-auth-agent");
    }
  }

  // Both run the agent as systemd expects of it: READY=1 and the watchdog, SIGHUP to reload, restarted
  // unless its config is unusable, and its default socket in the folder the .socket unit listens in,
  // which must survive the agent's restarts.
  for (const auto* unit : {&system, &user}) {
    for (const auto& setting : std::vector<std::string>{
             "Type=notify\n", "ExecStart=" + keap_auth() + " agent\n", "ExecReload=/bin/kill -HUP $MAINPID\n",
             "WatchdogSec=", "Restart=on-failure\n", "RestartPreventExitStatus=2\n", "RuntimeDirectory=keap-auth\n",
             "RuntimeDirectoryPreserve=yes\n", "UMask=0077\n"}) {
      INFO(setting);
      CHECK(unit->find(setting) != std::string::npos);
    }
  }
  for (const auto* socket : {&system_socket, &user_socket}) {
    CHECK(socket->find("ListenStream=%t/keap-auth/agent.sock\n") != std::string::npos);
    CHECK(socket->find("RemoveOnStop=yes\n") != std::string::npos);
  }
  // The system's socket is the group keap-auth's, and the units say what the agent's config then needs.
  CHECK(system_socket.find("SocketMode=0660\n") != std::string::npos);
  CHECK(system_socket.find("SocketGroup=keap-auth\n") != std::string::npos);
  CHECK(user_socket.find("SocketMode=0600\n") != std::string::npos);
  CHECK(user_socket.find("SocketGroup=") == std::string::npos);
  for (const auto* text : {&system, &system_socket}) {
    CHECK(text->find(R"("agent": {"allow_groups": ["keap-auth"]})") != std::string::npos);
  }

  // The system unit runs as its own account with its own state folder, and keeps every hardening line
  // of the refresh units, so the two cannot drift apart.
  for (const char* setting : {"User=keap-auth\n", "Group=keap-auth\n", "StateDirectory=keap-auth/agent\n",
                              "LoadCredential=keap-client-secret:", "SystemCallFilter=@chown\n"}) {
    INFO(setting);
    CHECK(system.find(setting) != std::string::npos);
  }
  auto refresh = packaged_unit("keap-auth-refresh@.service.in");
  auto hardening = refresh.find("# Hardening");
  REQUIRE(hardening != std::string::npos);
  std::istringstream lines(refresh.substr(hardening));
  size_t settings = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && !line.starts_with("#")) {
      INFO(line);
      CHECK(system.find("\n" + line + "\n") != std::string::npos);
      ++settings;
    }
  }
  CHECK(settings >= 20);
}

TEST_CASE("README: the main job (scripts/demo.sh) logs in against the emulator with curl as the browser",
          "[operator][readme]") {
  TempDir dir;
  auto demo = run({"/bin/bash", std::string(KEAP_SOURCE_DIR) + "/scripts/demo.sh"},
                  {{"KEAP_AUTH_BUILD", KEAP_BINARY_DIR}, {"KEAP_AUTH_DEMO", dir.file("demo")}});
  INFO(demo.out << demo.err);
  REQUIRE(demo.exit_code == 0);
  CHECK(demo.out.find("demo: done") != std::string::npos);
  auto summary = nlohmann::json::parse(read_file(dir.file("demo/summary.json")));
  CHECK(summary["changed"] == true);
  CHECK(summary["kind"] == "oauth_grant");
  CHECK((file_mode(dir.file("demo/keap-credentials.json")) & 0777) == 0600);
}
