// keap-auth as an operator meets it under cron and systemd, in scripts and monitors: status that
// remembers failures, quiet runs, where credentials go by default, a token endpoint that is down,
// config and credentials that disagree, permissions, usage errors, the login's details, and JSON.
#include "store/rescue.hpp"
#include "support/fixtures.hpp"
#include "util/encoding.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

TEST_CASE("status: after a rejected refresh it says a login is needed, and why", "[status][operations]") {
  Setup setup;
  kill_refresh_token(setup.emulator, seed_credentials(setup.emulator, setup.path(), 2h));
  REQUIRE(setup.keap({"refresh"}).exit_code == 4);
  auto status = setup.keap({"status", "--json"});
  REQUIRE(status.exit_code == 4);
  auto json = json_of(status);
  REQUIRE(json["schema"] == 1);
  REQUIRE(json["usable"] == false);
  REQUIRE(json["login_needed"] == true);
  REQUIRE(json["last_refresh_failure"]["kind"] == "rejected");
  REQUIRE(json["next_step"].get<std::string>().find("rejected") != std::string::npos);
  auto human = setup.keap({"status"});
  REQUIRE(human.exit_code == 4);
  REQUIRE(human.out.find("last refresh failed") != std::string::npos);
  // The access token itself still works for two hours: token prints it, and says what failed.
  auto token = setup.keap({"token", "--min-valid", "3h"});
  REQUIRE(token.exit_code == 0);
  REQUIRE(token.out == load_grant(setup.path()).access_token + "\n");
  REQUIRE(token.err.find("printing the stored access token, which is still valid") != std::string::npos);
}

TEST_CASE("status and every exit-4 message name a rescue file that may hold a newer pair", "[status][rescue]") {
  Setup setup;
  auto rescue = setup.path() + ".rescue-2026-12-01T00:00:00Z-42";
  auto pair = seed_credentials(setup.emulator, setup.dir.file("elsewhere.json"), 2h);
  write_file(rescue, store::labelled(pair, setup.path(), k_default_profile), 0600);
  auto status = setup.keap({"status"});
  REQUIRE(status.exit_code == 4);
  REQUIRE(status.out.find("a rescue file holds a newer credential than the store: " + rescue) != std::string::npos);
  REQUIRE(status.out.find("mv '" + rescue + "' '" + setup.path() + "'") != std::string::npos);
  REQUIRE(json_of(setup.keap({"status", "--json"}))["rescue_files"] == nlohmann::json::array({rescue}));
  auto token = setup.keap({"token"});
  REQUIRE(token.exit_code == 4);
  REQUIRE(token.err.find("mv '" + rescue + "'") != std::string::npos);
}

TEST_CASE("status: 'refresh soon' follows the configured lifetime, and the emulator writes its lifetime", "[status]") {
  Setup setup(emulator_settings(), {{"refresh_token_lifetime", "20d"}});
  seed_credentials(setup.emulator, setup.path(), 2h, 12 * 24h);
  REQUIRE(json_of(setup.keap({"status", "--json"}))["next_step"].get<std::string>().find("nothing now") !=
          std::string::npos);
  seed_credentials(setup.emulator, setup.path(), 2h, 14 * 24h); // two thirds of 20 days have passed
  auto soon = json_of(setup.keap({"status", "--json"}));
  REQUIRE(soon["next_step"].get<std::string>().find("refresh soon") != std::string::npos);
  REQUIRE(soon["refresh_soon_after_seconds"] == 20 * 86400 * 2 / 3);

  TempDir dir;
  Process emulator(
      {keap_auth(), "emulator", "--port", "0", "--refresh-ttl", "20s", "--write-config", dir.file("c.json")});
  REQUIRE(emulator.wait_for_err("press Ctrl-C", 10s));
  auto written = nlohmann::json::parse(read_file(dir.file("c.json")));
  REQUIRE(written["refresh_token_lifetime"] == "20s");
  REQUIRE(written["credentials_file"] == "keap-credentials.json");
  emulator.send_signal(SIGINT);
  REQUIRE(emulator.wait(5s).exit_code == 0);
}

TEST_CASE("status and refresh: a time in the future is a clock problem, said as such", "[status][clock]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 2h);
  grant.refresh_token_obtained_at = util::now_seconds() + 48h;
  grant.obtained_at = grant.refresh_token_obtained_at;
  save_grant(setup.path(), grant);
  auto human = setup.keap({"status"});
  REQUIRE(human.out.find("in the future: check the clock") != std::string::npos);
  auto json = json_of(setup.keap({"status", "--json"}));
  REQUIRE(json["refresh_token_age_seconds"].is_null());
  REQUIRE(json["warnings"][0].get<std::string>().find("check the clock") != std::string::npos);
  auto refresh = setup.keap({"refresh", "--if-older-than", "30d"});
  REQUIRE(refresh.exit_code == 0);
  REQUIRE(refresh.err.find("obtained in the future by this machine's clock (check the clock)") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator) == 1);
}

TEST_CASE("quiet: --quiet prints only errors", "[operations]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h, 40 * 24h);
  ::chmod(setup.path().c_str(), 0644);
  auto done = setup.keap({"refresh", "--quiet", "--if-older-than", "30d"});
  REQUIRE(done.exit_code == 0);
  REQUIRE(done.err.empty()); // neither the refresh nor the permissions warning
  REQUIRE(refresh_grants(setup.emulator) == 1);
  kill_refresh_token(setup.emulator, load_grant(setup.path()));
  auto failed = setup.keap({"refresh", "--quiet"});
  REQUIRE(failed.exit_code == 4);
  REQUIRE(failed.err.find("keap-auth: error:") != std::string::npos);
  REQUIRE(setup.keap({"status", "--quiet", "--verbose"}).exit_code == 2);
}

TEST_CASE("credentials go beside the config by default, or to the XDG state folder without one", "[files]") {
  Emulator emulator;
  TempDir config_dir, elsewhere, state;
  auto config = nlohmann::json::parse(read_file(write_config(config_dir, emulator)));
  config.erase("credentials_file");
  write_file(config_dir.file("keap-auth.json"), config.dump(), 0600);
  // cron runs in $HOME, systemd in /: the working folder must not matter.
  auto login = start_login({"--no-browser", "--config", config_dir.file("keap-auth.json")});
  browse(login.authorize_url);
  REQUIRE(login.process->wait().exit_code == 0);
  REQUIRE(file_exists(config_dir.file("keap-credentials.json")));
  auto status = run({keap_auth(), "status", "--config", config_dir.file("keap-auth.json")}, {}, "/");
  REQUIRE(status.exit_code == 0);

  // No config file at all: the XDG state folder, made with its parents (as the XDG spec says).
  auto env = std::map<std::string, std::string>{{"XDG_STATE_HOME", state.file("deep/state")},
                                                {"KEAP_CLIENT_ID", k_client_id},
                                                {"KEAP_CLIENT_SECRET", k_client_secret}};
  auto begin = run({keap_auth(), "login", "--begin"}, env, elsewhere.path());
  INFO(begin.err);
  REQUIRE(begin.exit_code == 0);
  REQUIRE(file_exists(state.file("deep/state/keap-auth/keap-credentials.json.pending")));
  REQUIRE(file_mode(state.file("deep/state/keap-auth")) == 0700u);
}

TEST_CASE("token: a token endpoint that is down does not stop a token that is still valid", "[token]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 3min); // within --min-valid: a refresh is tried
  setup.emulator.server.state().set_token_fault(emulator::named_fault("http-503"));
  auto result = setup.keap({"token"});
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.out == grant.access_token + "\n");
  REQUIRE(result.err.find("answered HTTP 503") != std::string::npos);
  INFO(result.err);
  REQUIRE((result.err.find("still valid for 2m") != std::string::npos ||
           result.err.find("still valid for 3m") != std::string::npos));
  seed_credentials(setup.emulator, setup.path(), 30s); // inside the safety margin: no
  REQUIRE(setup.keap({"token"}).exit_code == 5);
}

TEST_CASE("refresh: when config and credentials disagree it says which client it uses, and --use-config-client "
          "switches",
          "[refresh][operations]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 2h);
  grant.client_secret = "the-secret-before-rotation";
  save_grant(setup.path(), grant);
  auto plain = setup.keap({"refresh"});
  REQUIRE(plain.err.find("the config and the credentials disagree on client_secret") != std::string::npos);
  REQUIRE(plain.err.find("refreshing as the client stored with the credentials") != std::string::npos);
  REQUIRE(plain.exit_code == 4); // the stored secret is no longer valid at the server
  auto switched = setup.keap({"refresh", "--use-config-client"});
  INFO(switched.err);
  REQUIRE(switched.exit_code == 0);
  auto stored = load_grant(setup.path());
  REQUIRE(stored.client_secret == k_client_secret);
  REQUIRE_FALSE(stored.last_refresh_failure);
}

TEST_CASE("store_client_secret false keeps the secret out of the file, and a refresh takes it from the config",
          "[refresh][operations]") {
  Setup setup(emulator_settings(), {{"store_client_secret", false}, {"redirect_uri", "http://localhost:0/callback"}});
  auto login = start_login({"--no-browser", "--config", setup.config});
  browse(login.authorize_url);
  REQUIRE(login.process->wait().exit_code == 0);
  REQUIRE(read_file(setup.path()).find("client_secret") == std::string::npos);
  REQUIRE(setup.keap({"refresh"}).exit_code == 0);
  auto config = nlohmann::json::parse(read_file(setup.config));
  config.erase("client_secret");
  write_file(setup.config, config.dump(), 0600);
  auto without = setup.keap({"refresh"});
  REQUIRE(without.exit_code == 2);
  REQUIRE(without.err.find("holds no client secret") != std::string::npos);
}

TEST_CASE("permissions: every read warns, and a config or secret file others may read does too", "[files]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  for (const char* command : {"refresh", "whoami", "status", "token"}) {
    ::chmod(setup.path().c_str(), 0644); // a refresh writes the file anew, 0600
    auto result = setup.keap({command});
    INFO(command << ": " << result.err);
    REQUIRE(result.err.find("permissions 0644 for " + setup.path()) != std::string::npos);
  }
  ::chmod(setup.config.c_str(), 0644);
  REQUIRE(setup.keap({"status"})
              .err.find("permissions 0644 for " + setup.config +
                        " are too open: other users may read the client secret") != std::string::npos);
  write_file(setup.dir.file("secret"), k_client_secret, 0640);
  REQUIRE(setup.keap({"status", "--client-secret-file", setup.dir.file("secret")})
              .err.find("permissions 0640 for " + setup.dir.file("secret")) != std::string::npos);
}

TEST_CASE("usage errors: keap-auth's own words, the flag named, the nearest suggested, exit 2", "[cli]") {
  Setup setup;
  auto check = [&](std::vector<std::string> arguments, const std::string& message, const std::string& hint) {
    auto result = setup.keap(std::move(arguments));
    INFO(result.err);
    REQUIRE(result.exit_code == 2);
    REQUIRE(result.err.find("keap-auth: error: " + message) != std::string::npos);
    REQUIRE(result.err.find("keap-auth: hint: " + hint) != std::string::npos);
  };
  check({"status", "--jsn"}, "unknown option --jsn for `keap-auth status`", "did you mean --json?");
  check({"refresh", "--if-older", "30d"}, "unknown option --if-older for `keap-auth refresh`",
        "did you mean --if-older-than?");
  check({"login", "--timeout", "abc"}, "--timeout: \"abc\" is not a positive duration", "see `keap-auth login --help`");
  auto no_value = run({keap_auth(), "status", "--credentials"});
  REQUIRE(no_value.exit_code == 2);
  REQUIRE(no_value.err.find("keap-auth: error: option --credentials needs a value") != std::string::npos);
  check({"login", "--begin", "--tls-cert", "missing.pem"}, "--tls-cert and --tls-key serve", "leave them out");
  auto emulator = run({keap_auth(), "emulator", "--client-id", "foo"});
  REQUIRE(emulator.exit_code == 2);
  REQUIRE(emulator.err.find("use --emulated-client-id") != std::string::npos);
  // Checked before anything is done: a valid token does not hide a bad flag.
  seed_credentials(setup.emulator, setup.path(), 2h);
  check({"token", "--lock-timeout", "abc"}, "--lock-timeout: \"abc\" is not a duration",
        "see `keap-auth token --help`");
  auto help = setup.keap({"refresh", "--help"});
  REQUIRE(help.exit_code == 0);
  REQUIRE(help.out.find("Global options (before or after the command):") != std::string::npos);
  REQUIRE(help.out.find("--credentials FILE") != std::string::npos);
}

TEST_CASE("login details: the redirect_uri is sent as configured, --begin twice says so, status shows it",
          "[login][two-step]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost/callback"}});
  auto first = setup.keap({"login", "--begin"});
  REQUIRE(first.exit_code == 0);
  REQUIRE(first.out.find("redirect_uri=http%3A%2F%2Flocalhost%2Fcallback&") != std::string::npos);
  auto status = json_of(setup.keap({"status", "--json"}));
  REQUIRE(status["pending_login"]["expires_at"].is_string());
  auto second = setup.keap({"login", "--begin", "--json"});
  REQUIRE(second.err.find("replaced the unfinished two-step login begun at") != std::string::npos);
  auto json = json_of(second);
  REQUIRE(json["schema"] == 1);
  REQUIRE(json["pending_expires_at"].is_string());
  REQUIRE_FALSE(json.contains("expires_at")); // the access token's name, never the pending request's
  REQUIRE(json["pending_file"] == setup.path() + ".pending");
}

TEST_CASE("login details: --manual gives up at --timeout like --finish would", "[login][manual]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:8765/callback"}});
  auto started = std::chrono::steady_clock::now();
  // stdin stays open and silent: a person who has not pasted yet.
  auto result = run({"/bin/bash", "-c", "exec \"$0\" \"$@\" < <(sleep 10)", keap_auth(), "login", "--manual",
                     "--timeout", "1s", "--config", setup.config});
  REQUIRE(result.exit_code == 3);
  REQUIRE(result.err.find("nothing was pasted within 1s") != std::string::npos);
  REQUIRE(std::chrono::steady_clock::now() - started < 8s);
}

TEST_CASE("login details: a newer file is never downgraded, a damaged one is kept", "[login][files]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:0/callback"}});
  write_file(setup.path(), R"({"version": 3, "kind": "future"})", 0600);
  auto newer = setup.keap({"login", "--no-browser"});
  REQUIRE(newer.exit_code == 1);
  REQUIRE(newer.err.find("written by a newer keap-auth") != std::string::npos);
  REQUIRE(setup.emulator.server.state().token_requests().empty());
  write_file(setup.path(), "{ damaged", 0600);
  auto login = start_login({"--no-browser", "--config", setup.config});
  browse(login.authorize_url);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 0);
  auto marker = std::string("keeping the damaged file as ");
  auto at = result.err.find(marker);
  REQUIRE(at != std::string::npos);
  auto kept = result.err.substr(at + marker.size(), result.err.find('\n', at) - at - marker.size());
  REQUIRE(read_file(kept) == "{ damaged");
  REQUIRE(file_mode(kept) == 0600u);
}

TEST_CASE("login details: browsers that fail are reported, the next one in $BROWSER is tried, and over SSH none "
          "is started",
          "[login][browser]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:0/callback"}});
  auto browser = std::string(KEAP_SOURCE_DIR) + "/scripts/curl-browser.sh";
  auto login = start_login({"--config", setup.config}, {{"BROWSER", "false:" + browser}});
  auto result = login.process->wait(20s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0); // the second browser completed the login
  REQUIRE(file_exists(setup.path()));

  auto failing = start_login({"--config", setup.config, "--force"}, {{"BROWSER", "false"}});
  REQUIRE(failing.process->wait_for_err("\"false\" exited with status 1 at once; open the URL above yourself", 10s));
  browse(failing.authorize_url); // the forwarded answer still completes the login
  REQUIRE(failing.process->wait().exit_code == 0);

  auto ssh = start_login({"--config", setup.config, "--force"}, {{"SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22"}});
  REQUIRE(ssh.process->wait_for_err("this is an SSH session, so no browser is started on this machine", 10s));
  browse(ssh.authorize_url);
  REQUIRE(ssh.process->wait().exit_code == 0);
}

TEST_CASE("login details: the address the browser landed on can be pasted instead of waiting", "[login]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:0/callback"}});
  auto fifo = setup.dir.file("stdin");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int writer = ::open(fifo.c_str(), O_RDWR); // held open, so the login's stdin neither blocks nor ends
  Process login({"/bin/bash", "-c", "exec \"$0\" \"$@\" < " + fifo, keap_auth(), "login", "--no-browser", "--config",
                 setup.config});
  REQUIRE(login.wait_for_err("\n\n", 10s));
  auto err = login.err();
  auto start = err.find("  http");
  auto url = err.substr(start + 2, err.find('\n', start) - start - 2);
  auto landing = browser_get(url).location; // the emulator's redirect, which never reaches the receiver here
  auto typo = "http://localhost:1/callback?code=x&state=wrong\n";
  REQUIRE(::write(writer, typo, std::strlen(typo)) > 0);
  REQUIRE(login.wait_for_err("that is not the address the browser landed on", 5s));
  auto line = landing + "\n";
  REQUIRE(::write(writer, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  auto result = login.wait(20s);
  ::close(writer);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(load_grant(setup.path()).app == "ab123");
}

TEST_CASE("json: refresh --json, and an error as a JSON object on stdout when --json was asked for", "[json]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto refreshed = json_of(setup.keap({"refresh", "--json"}));
  REQUIRE(refreshed["schema"] == 1);
  REQUIRE(refreshed["refreshed"] == true);
  REQUIRE(refreshed["reason"] == "unconditional");
  REQUIRE(refreshed["credentials_file"] == setup.path());
  auto idle = json_of(setup.keap({"refresh", "--json", "--if-older-than", "30d"}));
  REQUIRE(idle["refreshed"] == false);
  REQUIRE(idle["reason"].is_null());
  std::filesystem::remove(setup.path());
  auto missing = setup.keap({"refresh", "--json"});
  REQUIRE(missing.exit_code == 4);
  auto error = json_of(missing)["error"];
  REQUIRE(error["class"] == "relogin");
  REQUIRE(error["exit_code"] == 4);
  REQUIRE(error["message"].get<std::string>().find("no credentials") != std::string::npos);
  auto status = json_of(setup.keap({"status", "--json"}));
  for (const char* field :
       {"app", "access_token_expires_at", "refresh_token_age_seconds", "last_refresh_failure", "pending_login"}) {
    INFO(field);
    REQUIRE(status.contains(field)); // absent values are null, never missing
    REQUIRE(status[field].is_null());
  }
  REQUIRE(status["credentials_file"] == setup.path());
}

TEST_CASE("logout: the credential and what was kept beside it are removed, and Keap's lack of revocation is said",
          "[logout]") {
  Setup setup({}, {{"redirect_uri", "http://localhost:8765/callback"}});
  auto grant = seed_credentials(setup.emulator, setup.path(), 2h);
  auto rescue = setup.path() + ".rescue-2026-12-01T00:00:00Z-7";
  auto newer = grant;
  newer.refresh_token += "-newer";
  write_file(rescue, store::labelled(newer, setup.path(), k_default_profile), 0600);
  REQUIRE(setup.keap({"login", "--begin"}).exit_code == 0);
  REQUIRE(file_exists(setup.path() + ".pending"));
  auto result = setup.keap({"logout", "--json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE_FALSE(file_exists(setup.path()));
  REQUIRE_FALSE(file_exists(rescue));
  REQUIRE_FALSE(file_exists(setup.path() + ".pending"));
  REQUIRE(result.err.find("removed the credentials from the credentials file " + setup.path()) != std::string::npos);
  REQUIRE(result.err.find("Keap documents no endpoint to revoke a token") != std::string::npos);
  auto json = json_of(result);
  REQUIRE(json["removed"] == true);
  REQUIRE(json["also_removed"].size() == 2);
  REQUIRE(setup.keap({"status"}).exit_code == 4);
  auto again = setup.keap({"logout"});
  REQUIRE(again.exit_code == 0);
  REQUIRE(again.err.find("held no credentials") != std::string::npos);
}

TEST_CASE(
    "status: inside the refresh margin a token is still valid and said so, and a second of skew is no clock problem",
    "[status][clock]") {
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), 30s);
  auto human = setup.keap({"status"});
  INFO(human.out);
  REQUIRE(human.out.find("access token expires ") != std::string::npos);
  REQUIRE(human.out.find("inside the 1m refresh margin: `keap-auth token` refreshes it") != std::string::npos);
  auto json = json_of(setup.keap({"status", "--json"}));
  REQUIRE(json["access_token_valid"] == true);
  REQUIRE(json["access_token_inside_refresh_margin"] == true);

  grant = load_grant(setup.path());
  grant.obtained_at = grant.refresh_token_obtained_at = util::now_seconds() + 1s; // right after a store import
  save_grant(setup.path(), grant);
  auto skewed = json_of(setup.keap({"status", "--json"}));
  REQUIRE(skewed["warnings"].empty());
  grant.obtained_at = grant.refresh_token_obtained_at = util::now_seconds() + 5min;
  save_grant(setup.path(), grant);
  auto wrong = json_of(setup.keap({"status", "--json"}));
  REQUIRE(wrong["warnings"][0].get<std::string>().find("obtained 5m in the future") != std::string::npos);
  REQUIRE(wrong["warnings"][0].get<std::string>().find("2m of skew keap-auth tolerates") != std::string::npos);
}

TEST_CASE("whoami and token --rejected with a good token wait for nobody's refresh", "[lock]") {
  Setup setup({}, {{"lock_timeout", "60s"}});
  auto grant = seed_credentials(setup.emulator, setup.path(), 2h);
  auto lock = ::open((setup.path() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(::flock(lock, LOCK_EX) == 0); // an unrelated refresh holding the lock for its 60 s
  auto started = std::chrono::steady_clock::now();
  REQUIRE(setup.keap({"whoami"}).exit_code == 0);
  auto other = setup.keap_with_input({"token", "--rejected", "-"}, "a-token-another-service-got-401-for\n");
  REQUIRE(other.exit_code == 0);
  REQUIRE(other.out == grant.access_token + "\n");
  // Time is the property: a wait for the lock would take its whole 60 s.
  REQUIRE(std::chrono::steady_clock::now() - started < 30s);
  ::close(lock);
}
