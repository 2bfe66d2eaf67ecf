// refresh, token, status and whoami as real processes against the emulator: rotation, the
// single-flight lock, crash safety, every failure class, and the rescue of a pair that cannot be saved.
#include "net/http_client.hpp"
#include "store/file_store.hpp"
#include "support/fixtures.hpp"
#include "util/encoding.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace keap;
using namespace keap::util;
using namespace keap::test;
using namespace std::chrono_literals;

TEST_CASE("refresh: rotates the pair, the old refresh token is dead and the file holds the new one", "[refresh]") {
  Setup setup;
  auto old = seed_credentials(setup.emulator, setup.path(), 1h);
  auto result = setup.keap({"refresh"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.err.find("refreshed because no condition was given") != std::string::npos);
  auto fresh = load_grant(setup.path());
  REQUIRE(fresh.refresh_token != old.refresh_token);
  REQUIRE(fresh.access_token != old.access_token);
  REQUIRE(file_mode(setup.path()) == 0600);
  auto& state = setup.emulator.server.state();
  REQUIRE_FALSE(state.refresh_token_valid(old.refresh_token, now_seconds()));
  REQUIRE(state.refresh_token_valid(fresh.refresh_token, now_seconds()));
  REQUIRE(fresh.refresh_token_obtained_at >= old.obtained_at);
  REQUIRE(fresh.client_secret == k_client_secret);

  auto requests = state.token_requests();
  REQUIRE(requests.back().grant_type == "refresh_token");
  REQUIRE(requests.back().authorization_scheme == "Basic"); // as Keap documents for refresh
  REQUIRE_FALSE(requests.back().client_secret_in_body);
  REQUIRE(result.out.empty());
  REQUIRE(result.err.find(fresh.refresh_token) == std::string::npos);
  REQUIRE(result.err.find(fresh.access_token) == std::string::npos);
}

TEST_CASE("refresh: conditions decide, and say which held", "[refresh]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 23h, 29 * 24h);
  auto young = setup.keap({"refresh", "--if-older-than", "30d"});
  REQUIRE(young.exit_code == 0);
  REQUIRE(young.err.empty()); // a daily cron job that has nothing to do prints nothing (cron mails output)
  REQUIRE(young.out.empty());
  auto told = setup.keap({"refresh", "--if-older-than", "30d", "--verbose"});
  REQUIRE(told.err.find("nothing to do") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);

  seed_credentials(setup.emulator, setup.path(), 23h, 31 * 24h);
  auto old = setup.keap({"refresh", "--if-older-than", "30d"});
  REQUIRE(old.exit_code == 0);
  REQUIRE(old.err.find("the refresh token is at least 30d old") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator) == 1);

  seed_credentials(setup.emulator, setup.path(), 10min);
  auto expiring = setup.keap({"refresh", "--if-older-than", "30d", "--if-expires-within", "1h"});
  REQUIRE(expiring.exit_code == 0);
  REQUIRE(expiring.err.find("the access token expires within 1h") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator) == 2);

  auto forced = setup.keap({"refresh", "--if-older-than", "30d", "--force"});
  REQUIRE(forced.err.find("--force was given") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator) == 3);

  auto bad = setup.keap({"refresh", "--if-older-than", "a month"});
  REQUIRE(bad.exit_code == 2);
  REQUIRE(bad.err.find("90s, 5m, 12h or 30d") != std::string::npos);
}

TEST_CASE("token: 32 processes on an expired token cause exactly one refresh", "[token][stampede]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), -1h);
  std::vector<std::unique_ptr<Process>> processes;
  for (int i = 0; i < 32; ++i) {
    processes.push_back(
        std::make_unique<Process>(std::vector<std::string>{keap_auth(), "token", "--config", setup.config}));
  }
  std::set<std::string> outputs;
  for (auto& process : processes) {
    auto result = process->wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs.insert(result.out);
  }
  auto credentials = load_grant(setup.path());
  REQUIRE(outputs == std::set<std::string>{credentials.access_token + "\n"});
  REQUIRE(refresh_grants(setup.emulator, 0) == 1);
  REQUIRE(file_mode(setup.path()) == 0600);
}

TEST_CASE("token: the hot path prints the token without lock, network or TLS", "[token]") {
  Setup setup;
  auto credentials = seed_credentials(setup.emulator, setup.path(), 2h);
  // Hold the refresh lock: a token command that wanted it would wait and fail.
  int lock = ::open((setup.path() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(::flock(lock, LOCK_EX) == 0);
  auto result = setup.keap({"token", "--lock-timeout", "1s"}, {{"LD_DEBUG", "libs"}});
  ::close(lock);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.out == credentials.access_token + "\n");
  REQUIRE(setup.emulator.server.state().token_requests().empty());
  // The dynamic loader's own log: neither OpenSSL nor cpp-httplib was loaded.
  REQUIRE(result.err.find("libc.so") != std::string::npos);   // the loader did log
#ifndef KEAP_AUTH_SANITIZED                                   // the sanitizer runtimes bring libstdc++ with them
  REQUIRE(result.err.find("libstdc++") == std::string::npos); // linked in: loading it costs more than `cat`
#endif
  REQUIRE(result.err.find("libssl") == std::string::npos);
  REQUIRE(result.err.find("libcrypto") == std::string::npos);
  REQUIRE(result.err.find("httplib") == std::string::npos);

  auto header = setup.keap({"token", "--header"});
  REQUIRE(header.out == "Authorization: Bearer " + credentials.access_token + "\n");
}

TEST_CASE("token: --min-valid decides when to refresh first", "[token]") {
  Setup setup;
  auto credentials = seed_credentials(setup.emulator, setup.path(), 30min);
  REQUIRE(setup.keap({"token", "--min-valid", "10m"}).out == credentials.access_token + "\n");
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
  auto refreshed = setup.keap({"token", "--min-valid", "1h"});
  REQUIRE(refreshed.exit_code == 0);
  REQUIRE(refreshed.out == load_grant(setup.path()).access_token + "\n");
  REQUIRE(refreshed.out != credentials.access_token + "\n");
  REQUIRE(refresh_grants(setup.emulator) == 1);
}

TEST_CASE("token: no credentials file is exit 4, telling to log in", "[token]") {
  Setup setup;
  auto result = setup.keap({"token"});
  REQUIRE(result.exit_code == 4);
  REQUIRE(result.out.empty());
  REQUIRE(result.err.find("no credentials in credentials file " + setup.path()) != std::string::npos);
  REQUIRE(result.err.find("keap-auth login") != std::string::npos);
}

TEST_CASE("credentials: loose permissions warn, damaged files name the file", "[token]") {
  Setup setup;
  auto credentials = seed_credentials(setup.emulator, setup.path(), 2h);
  ::chmod(setup.path().c_str(), 0644);
  auto loose = setup.keap({"token"});
  REQUIRE(loose.exit_code == 0);
  REQUIRE(loose.out == credentials.access_token + "\n");
  REQUIRE(loose.err.find("permissions 0644 for " + setup.path() + " are too open") != std::string::npos);

  write_file(setup.path(), "{\"version\": 1, \"access_tok", 0600);
  auto damaged = setup.keap({"token"});
  REQUIRE(damaged.exit_code == 4);
  REQUIRE(damaged.err.find("credentials file " + setup.path() + ": not a JSON object") != std::string::npos);

  auto newer = nlohmann::json::parse(serialize_credential(credentials));
  newer["version"] = 7;
  write_file(setup.path(), newer.dump(), 0600);
  auto future = setup.keap({"status"});
  REQUIRE(future.exit_code == 1);
  REQUIRE(future.err.find("has version 7") != std::string::npos);
}

TEST_CASE("refresh: each failure class has its exit code and leaves the file byte for byte", "[refresh]") {
  struct Case {
    const char* name;
    std::optional<emulator::Fault> fault;
    bool legacy_errors;
    int exit_code;
    const char* message;
  };
  emulator::Fault html500;
  emulator::Fault unavailable{503, "", "text/plain", "", 0ms, -1};
  emulator::Fault limited{
      429, R"({"fault":{"faultstring":"Rate limit quota violation"}})", "application/json", "0", 0ms, -1};
  emulator::Fault malformed{200, R"({"access_token": "abc", "refresh_tok)", "application/json", "", 0ms, -1};
  emulator::Fault incomplete{200, R"({"access_token": "abc", "expires_in": 3600})", "application/json", "", 0ms, -1};
  emulator::Fault absurd{
      200, R"({"access_token":"a","refresh_token":"r","expires_in":-3})", "application/json", "", 0ms, -1};
  emulator::Fault slow{0, "", "", "", 3000ms, -1};
  std::vector<Case> cases{
      {"dead refresh token", std::nullopt, false, 4, "Invalid Refresh Token"},
      {"dead refresh token, pre-2020 shape", std::nullopt, true, 4, "invalid_grant: Invalid refresh token"},
      {"500 with an HTML body", html500, false, 5, "answered HTTP 500"},
      {"503", unavailable, false, 5, "answered HTTP 503"},
      {"429 past the retries", limited, false, 5, "answered HTTP 429"},
      {"malformed JSON", malformed, false, 5, "not a JSON object"},
      {"no refresh_token", incomplete, false, 5, "without a usable \"refresh_token\""},
      {"negative expires_in", absurd, false, 5, "expires_in of -3"},
      {"slower than read_timeout", slow, false, 5, "no complete response"},
  };
  for (const auto& test : cases) {
    DYNAMIC_SECTION(test.name) {
      auto settings = emulator_settings();
      settings.legacy_errors = test.legacy_errors;
      Setup setup(settings, {{"read_timeout", "1s"}});
      auto seeded = seed_credentials(setup.emulator, setup.path(), 1h);
      if (!test.fault) {
        // Kill the refresh token the way Keap does when another client used it.
        setup.emulator.server.state().token(
            {"application/x-www-form-urlencoded", "Basic " + base64(k_client_id + ":" + k_client_secret),
             form_encode({{"grant_type", "refresh_token"}, {"refresh_token", seeded.refresh_token}})},
            now_seconds());
      }
      setup.emulator.server.state().set_token_fault(test.fault); // after seeding, which needed a working endpoint
      auto before = tokens_of(setup.path());
      auto result = setup.keap({"refresh"});
      INFO(result.err);
      REQUIRE(result.exit_code == test.exit_code);
      REQUIRE(result.err.find(test.message) != std::string::npos);
      // The tokens are as they were; the failure is recorded beside them, for status.
      REQUIRE(tokens_of(setup.path()) == before);
      auto failure = load_grant(setup.path()).last_refresh_failure;
      REQUIRE(failure);
      REQUIRE(failure->kind == (test.exit_code == 4 ? "rejected" : "unavailable"));
      REQUIRE(failure->message.find(test.message) != std::string::npos);
      if (test.exit_code == 4) {
        REQUIRE(result.err.find("run `keap-auth login` again") != std::string::npos);
      }
      if (std::string(test.name) == "negative expires_in") {
        // The unusable answer still carried a refresh token: it is kept, 0600, not dropped.
        auto marker = std::string("kept as it came in ");
        auto at = result.err.find(marker);
        REQUIRE(at != std::string::npos);
        auto kept = result.err.substr(at + marker.size(), result.err.find('\n', at) - at - marker.size());
        REQUIRE(file_mode(kept) == 0600);
        REQUIRE(read_file(kept).find("\"refresh_token\":\"r\"") != std::string::npos);
      }
    }
  }
}

TEST_CASE("refresh: a 429 is retried after its Retry-After", "[refresh]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 1h);
  setup.emulator.server.state().set_token_fault(emulator::Fault{429, "{}", "application/json", "1", 0ms, 1});
  auto result = setup.keap({"refresh"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto requests = setup.emulator.server.state().token_requests();
  REQUIRE(requests.size() == 2); // the 429, then the successful retry
  REQUIRE(requests[0].status == 429);
  REQUIRE(requests[1].status == 200);
}

TEST_CASE("refresh: a refused connection is retried (the request never reached the server)", "[refresh]") {
  TempDir dir;
  auto path = dir.file("keap-credentials.json");
  int port = free_port(); // nothing listens here until the first attempt has failed
  {
    Emulator first;
    auto grant = seed_credentials(first, path, 1h);
    grant.token_url = "http://127.0.0.1:" + std::to_string(port) + "/token";
    save_grant(path, grant);
  }
  write_file(dir.file("keap-auth.json"), nlohmann::json{{"credentials_file", path}}.dump(), 0600);
  Process refresh({keap_auth(), "refresh", "--verbose", "--config", dir.file("keap-auth.json")});
  // The log says the first attempt failed and when the next comes: only then does a server appear.
  REQUIRE(refresh.wait_for_err("(attempt 1 of 3); trying again in 1s", 10s));
  emulator::Server second(emulator_settings(), port);
  second.start();
  auto result = refresh.wait();
  INFO(result.err);
  // The second emulator never issued that refresh token, so it answers "Invalid Refresh Token": the
  // point is that the retried request reached it, once.
  REQUIRE(result.exit_code == 4);
  REQUIRE(second.state().token_requests().size() == 1);
  REQUIRE(second.state().token_requests()[0].grant_type == "refresh_token");
}

TEST_CASE("refresh: a request that reached the server is never sent again", "[refresh]") {
  Setup setup(emulator_settings(), {{"read_timeout", "1s"}});
  auto seeded = seed_credentials(setup.emulator, setup.path(), 1h);
  setup.emulator.server.state().set_token_fault(emulator::named_fault("truncated"));
  auto result = setup.keap({"refresh", "--verbose"});
  REQUIRE(result.exit_code == 5);
  REQUIRE(setup.emulator.server.state().token_requests().size() == 1);
  REQUIRE(result.err.find("trying again") == std::string::npos);
  REQUIRE(load_grant(setup.path()).refresh_token == seeded.refresh_token);
}

TEST_CASE("refresh: a token endpoint that is down is exit 5 with the file untouched", "[refresh]") {
  Setup setup;
  auto credentials = seed_credentials(setup.emulator, setup.path(), 1h);
  credentials.token_url = "http://127.0.0.1:1/token";
  save_grant(setup.path(), credentials);
  auto before = tokens_of(setup.path());
  auto result = setup.keap({"refresh"});
  REQUIRE(result.exit_code == 5);
  REQUIRE(result.err.find("cannot connect to http://127.0.0.1:1/token") != std::string::npos);
  REQUIRE(tokens_of(setup.path()) == before);
}

TEST_CASE("refresh: waiting for the lock is bounded", "[refresh]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), -1h);
  int lock = ::open((setup.path() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(::flock(lock, LOCK_EX) == 0);
  auto result = setup.keap({"token", "--lock-timeout", "1s"});
  ::close(lock);
  REQUIRE(result.exit_code == 5);
  REQUIRE(result.err.find("has held the lock " + setup.path() + ".lock") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
}

TEST_CASE("refresh: killed with SIGKILL at random moments, the file is always whole", "[refresh][crash]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 1h);
  // Kills spread over how long a whole refresh takes in this build (a sanitizer build is several times
  // slower), from well before the rename to after the end.
  std::vector<long> whole_runs;
  for (int i = 0; i < 3; ++i) {
    auto started = std::chrono::steady_clock::now();
    REQUIRE(setup.keap({"refresh"}).exit_code == 0);
    whole_runs.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
  }
  std::sort(whole_runs.begin(), whole_runs.end());
  std::mt19937 random(20261127);
  std::uniform_int_distribution<long> delay_us(whole_runs[1] / 10, whole_runs[1] * 13 / 10);
  int refreshed = 0, unchanged = 0;
  for (int run = 0; run < 100; ++run) {
    auto before = load_grant(setup.path()).refresh_token;
    Process refresh({keap_auth(), "refresh", "--config", setup.config});
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    refresh.send_signal(SIGKILL);
    refresh.wait();
    auto text = read_file(setup.path());
    INFO("run " << run);
    REQUIRE_FALSE(text.empty());
    REQUIRE(file_mode(setup.path()) == 0600);
    auto grant = std::get<OAuthGrant>(parse_credential(text, setup.path())); // throws if damaged
    (grant.refresh_token == before ? unchanged : refreshed) += 1;
    if (!setup.emulator.server.state().refresh_token_valid(grant.refresh_token, now_seconds())) {
      // Killed after Keap rotated but before the write: the pair is gone, as with any crash at that
      // moment. Start again so the next runs still exercise the write.
      seed_credentials(setup.emulator, setup.path(), 1h);
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(setup.dir.path())) {
    INFO(entry.path()); // a temp file left by a kill is as private as the credentials
    REQUIRE((file_mode(entry.path().string()) & 077) == 0);
  }
  // The kills landed both before the new file was in place and after: the random spread did its job.
  // The steps in between are covered one by one below.
  INFO(refreshed << " of 100 runs replaced the file before the kill");
  REQUIRE(refreshed > 0);
  REQUIRE(unchanged > 0);
}

TEST_CASE("refresh: a crash at each step leaves the old file or the new one, whole and 0600", "[refresh][crash]") {
  struct Step {
    const char* point;
    bool replaced;      ///< the new pair is in the file
    bool pair_survives; ///< the pair in the file still works at Keap
  };
  for (const auto& step : std::vector<Step>{{"after-answer", false, false}, // the documented window
                                            {"before-rename", false, false},
                                            {"after-rename", true, true},
                                            {"after-commit", true, true}}) {
    DYNAMIC_SECTION(step.point) {
      Setup setup;
      auto seeded = seed_credentials(setup.emulator, setup.path(), 1h);
      auto result = setup.keap({"refresh"}, {{"KEAP_AUTH_TEST_CRASH_AT", step.point}});
      REQUIRE(result.exit_code == 128 + SIGKILL);
      REQUIRE(refresh_grants(setup.emulator) == 1); // Keap rotated in every case
      auto grant = load_grant(setup.path());
      REQUIRE(file_mode(setup.path()) == 0600);
      REQUIRE((grant.refresh_token != seeded.refresh_token) == step.replaced);
      REQUIRE(setup.emulator.server.state().refresh_token_valid(grant.refresh_token, now_seconds()) ==
              step.pair_survives);
      for (const auto& entry : std::filesystem::directory_iterator(setup.dir.path())) {
        REQUIRE((file_mode(entry.path().string()) & 077) == 0);
      }
    }
  }
}

TEST_CASE("refresh: a pair that cannot be written is rescued, never dropped", "[refresh][rescue]") {
  Setup setup;
  // A folder only its owner may use: root must become someone else for permissions to bind.
  bool as_root = ::geteuid() == 0;
  uid_t user = as_root ? 65534 : ::geteuid();
  TempDir home;
  auto folder = home.file("creds");
  std::filesystem::create_directory(folder);
  std::filesystem::copy_file(keap_auth(), home.file("keap-auth"));
  std::filesystem::copy_file(KEAP_AUTH_FULL_BINARY, home.file("keap-auth-full"));
  auto path = folder + "/keap-credentials.json";
  seed_credentials(setup.emulator, path, 1h);
  write_file(path + ".lock", "", 0600);
  auto config = setup.config;
  std::filesystem::copy_file(config, home.file("keap-auth.json"));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(home.path())) {
    REQUIRE(::chown(entry.path().c_str(), user, user) == 0);
  }
  REQUIRE(::chown(home.path().c_str(), user, user) == 0);
  ::chmod(home.path().c_str(), 0755);
  auto before = read_file(path);
  ::chmod(folder.c_str(), 0500); // the lock can be taken, but no new file can be made here

  auto result = run({home.file("keap-auth"), "refresh", "--config", home.file("keap-auth.json"), "--credentials", path},
                    {{"HOME", home.path()}, {"XDG_STATE_HOME", home.file("state")}}, {}, std::nullopt,
                    Limits{as_root ? std::optional<uid_t>(user) : std::nullopt, std::nullopt, std::nullopt});
  ::chmod(folder.c_str(), 0700);
  INFO(result.err);
  REQUIRE(result.exit_code == 1);
  REQUIRE(read_file(path) == before);
  auto marker = std::string("the NEW credentials were saved to ");
  auto at = result.err.find(marker);
  REQUIRE(at != std::string::npos);
  auto rescue = result.err.substr(at + marker.size(), result.err.find('\n', at) - at - marker.size());
  REQUIRE(rescue.starts_with(home.file("state/keap-auth/keap-credentials.json.rescue-")));
  REQUIRE(file_mode(rescue) == 0600);
  auto rescued = std::get<OAuthGrant>(parse_credential(read_file(rescue), rescue));
  REQUIRE(setup.emulator.server.state().refresh_token_valid(rescued.refresh_token, now_seconds()));
  REQUIRE(result.err.find("mv '" + rescue + "'") != std::string::npos);

  // Until the file is in place the stored refresh token is dead: status says so, and the daily job
  // fails loudly with the `mv`, not with "log in".
  auto as_user = [&](std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), home.file("keap-auth"));
    arguments.insert(arguments.end(), {"--config", home.file("keap-auth.json"), "--credentials", path});
    return run(arguments, {{"HOME", home.path()}, {"XDG_STATE_HOME", home.file("state")}}, {}, std::nullopt,
               Limits{as_root ? std::optional<uid_t>(user) : std::nullopt, std::nullopt, std::nullopt});
  };
  auto status = as_user({"status"});
  INFO(status.out << status.err);
  REQUIRE(status.exit_code == 4);
  REQUIRE(status.out.find("next: put the newer credentials in place: `mv '" + rescue + "' '" + path + "'`") !=
          std::string::npos);
  auto daily = as_user({"refresh", "--if-older-than", "30d"});
  INFO(daily.err);
  REQUIRE(daily.exit_code == 4);
  REQUIRE(daily.err.find("holds an older pair than the rescue file " + rescue) != std::string::npos);
  REQUIRE(daily.err.find("hint: put the newer credentials in place first: `mv '" + rescue + "'") != std::string::npos);
  REQUIRE(daily.err.find("keap-auth login") == std::string::npos);
  REQUIRE(run({"/bin/mv", rescue, path}, {}, {}, std::nullopt,
              Limits{as_root ? std::optional<uid_t>(user) : std::nullopt, std::nullopt, std::nullopt})
              .exit_code == 0);
  REQUIRE(as_user({"status"}).exit_code == 0);
}

TEST_CASE("refresh: with nowhere to write, it says plainly that the new pair is lost", "[refresh][rescue]") {
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), 1h);
  auto before = read_file(setup.path());
  TempDir state;
  // RLIMIT_FSIZE makes every file write fail with EFBIG; prlimit applies it to keap-auth alone, so its
  // stderr (through a pipe) still reaches the test whole.
  auto result = run({"/bin/bash", "-c", "set -o pipefail; prlimit --fsize=64 -- \"$0\" \"$@\" 2>&1 | cat >&2",
                     keap_auth(), "refresh", "--config", setup.config},
                    {{"XDG_STATE_HOME", state.path()}, {"TMPDIR", state.path()}});
  REQUIRE(result.exit_code == 4);
  REQUIRE(result.err.find("could not be saved anywhere") != std::string::npos);
  REQUIRE(result.err.find("so they are lost unless you copy them now") != std::string::npos);
  // Not a terminal: the pair is not shown (a log must never hold it).
  REQUIRE(result.err.find("shown only because this is a terminal") == std::string::npos);
  REQUIRE(result.err.find("\"refresh_token\"") == std::string::npos);

  REQUIRE(read_file(setup.path()) == before);
  REQUIRE_FALSE(setup.emulator.server.state().refresh_token_valid(seeded.refresh_token, now_seconds()));

  // At a terminal (script(1) gives it one) the person sees the pair and can save it; the exit code is
  // the same, and the message itself still holds no secret.
  seed_credentials(setup.emulator, setup.path(), 1h);
  auto command = "prlimit --fsize=64 -- '" + keap_auth() + "' refresh --config '" + setup.config + "'";
  auto at_terminal = run({"/usr/bin/script", "-qfec", command, "/dev/null"},
                         {{"XDG_STATE_HOME", state.path()}, {"TMPDIR", state.path()}});
  INFO(at_terminal.out);
  REQUIRE(at_terminal.exit_code == 4);
  auto shown = at_terminal.out.find("shown only because this is a terminal; copy it now:");
  REQUIRE(shown != std::string::npos);
  auto json_start = at_terminal.out.find('{', shown);
  auto json_end = at_terminal.out.find("\n}", json_start);
  auto shown_pair = nlohmann::json::parse(at_terminal.out.substr(json_start, json_end + 2 - json_start));
  REQUIRE(setup.emulator.server.state().refresh_token_valid(shown_pair["refresh_token"], now_seconds()));
  auto message = at_terminal.out.substr(0, shown);
  REQUIRE(message.find(shown_pair["refresh_token"].get<std::string>()) == std::string::npos);
}

TEST_CASE("status: both formats, and exit 4 when a login is needed", "[status]") {
  Setup setup(emulator_settings(), {{"refresh_token_lifetime", "45d"}});
  auto missing = setup.keap({"status", "--json"});
  REQUIRE(missing.exit_code == 4);
  REQUIRE(nlohmann::json::parse(missing.out)["next_step"] == "run `keap-auth login`");

  auto credentials = seed_credentials(setup.emulator, setup.path(), 2h, 3 * 24h);
  auto human = setup.keap({"status"});
  REQUIRE(human.exit_code == 0);
  REQUIRE(human.out.find("Keap app:    ab123") != std::string::npos);
  REQUIRE((human.out.find("(in 1h 59m") != std::string::npos || human.out.find("(in 2h)") != std::string::npos));
  REQUIRE(human.out.find("3d old") != std::string::npos);
  // 42 days minus however many seconds passed since seeding.
  REQUIRE((human.out.find("(in 42d") != std::string::npos || human.out.find("(in 41d 23h") != std::string::npos));
  auto json = nlohmann::json::parse(setup.keap({"status", "--json"}).out);
  REQUIRE(json["app"] == "ab123");
  REQUIRE(json["access_token_valid"] == true);
  REQUIRE(json["usable"] == true);
  REQUIRE(json["refresh_token_age_seconds"].get<long long>() >= 3 * 86400);
  for (const auto& secret : {credentials.access_token, credentials.refresh_token, k_client_secret}) {
    REQUIRE(human.out.find(secret) == std::string::npos);
    REQUIRE(json.dump().find(secret) == std::string::npos);
  }

  seed_credentials(setup.emulator, setup.path(), -2h, 10 * 24h);
  auto expired = setup.keap({"status", "--json"});
  REQUIRE(expired.exit_code == 0); // refreshable
  REQUIRE(nlohmann::json::parse(expired.out)["access_token_valid"] == false);
  REQUIRE(setup.keap({"status"}).out.find("expired") != std::string::npos);

  seed_credentials(setup.emulator, setup.path(), -2h, 46 * 24h);
  auto dead = setup.keap({"status", "--json"});
  REQUIRE(dead.exit_code == 4);
  REQUIRE(nlohmann::json::parse(dead.out)["next_step"].get<std::string>().find("keap-auth login") != std::string::npos);
}

TEST_CASE("whoami: says who, and after a 401 refreshes once and retries", "[whoami]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto result = setup.keap({"whoami"});
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.out == "Ada <ada@example.com>, Keap app ab123\n");
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);

  // An access token the server no longer accepts, though the file says it is valid.
  auto credentials = load_grant(setup.path());
  credentials.access_token = "revoked-access-token-000000";
  save_grant(setup.path(), credentials);
  auto retried = setup.keap({"whoami", "--json"});
  INFO(retried.err);
  REQUIRE(retried.exit_code == 0);
  auto who = nlohmann::json::parse(retried.out);
  REQUIRE(who["schema"] == 1);
  REQUIRE(who["user"]["email"] == "ada@example.com");
  REQUIRE(who["app"] == "ab123");
  REQUIRE(refresh_grants(setup.emulator) == 1);

  // A 401 after the refresh too: a login is needed.
  setup.emulator.server.state().set_userinfo_fault(fault(401, R"({"fault":{"faultstring":"Invalid Access Token"}})"));
  auto again = setup.keap({"whoami"});
  REQUIRE(again.exit_code == 4);
  REQUIRE(again.err.find("rejected the access token even after a refresh (HTTP 401)") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator) == 2); // one refresh, not a loop
  REQUIRE(load_grant(setup.path()).access_token != "revoked-access-token-000000");
}
