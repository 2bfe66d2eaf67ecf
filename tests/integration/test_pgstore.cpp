// The PostgreSQL store against a real PostgreSQL 15 and the emulator: every command on it, the store's
// own commands, and what a second host sees.
#include "support/pg_setup.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

using namespace keap::test;
using namespace std::chrono_literals;

TEST_CASE("pgstore: token, refresh, status and list work on the store, and nothing is in it in clear",
          "[postgres][pgstore]") {
  PgSetup setup(2);
  auto seeded = setup.seed("default", 1h);
  CHECK(setup.generation() == 1);

  auto token = setup.keap({"token"});
  INFO(token.err);
  REQUIRE(token.exit_code == 0);
  CHECK(token.out == seeded.access_token + "\n");

  auto refreshed = setup.keap({"refresh"}, 1);
  INFO(refreshed.err);
  REQUIRE(refreshed.exit_code == 0);
  CHECK(refresh_grants(setup.emulator) == 1);
  auto held = setup.grant();
  CHECK(held.refresh_token != seeded.refresh_token);

  // The first host's cache holds the old access token; it is still valid at Keap, so it may answer.
  auto other = setup.keap({"token"}, 1);
  REQUIRE(other.exit_code == 0);
  CHECK(other.out == held.access_token + "\n");

  auto status = setup.keap({"status", "--json"});
  INFO(status.err);
  REQUIRE(status.exit_code == 0);
  auto json = json_of(status);
  CHECK(json.dump().find(held.access_token) == std::string::npos);

  auto list = setup.keap({"list"});
  INFO(list.err);
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("default") != std::string::npos);
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore: a stampede of 32 token processes over 4 hosts on an expired token makes one refresh",
          "[postgres][pgstore]") {
  PgSetup setup(4);
  setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(300ms));
  std::vector<std::unique_ptr<Process>> runs;
  for (size_t at = 0; at < 32; ++at) {
    runs.push_back(setup.start({"token"}, at % 4));
  }
  std::set<std::string> tokens;
  for (auto& run : runs) {
    auto result = run->wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    tokens.insert(result.out);
  }
  CHECK(tokens.size() == 1);
  CHECK(refresh_grants(setup.emulator) == 1);
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  setup.emulator.server.state().set_token_fault(std::nullopt);
  setup.require_consistent("default", 2);
  CHECK(*tokens.begin() == setup.grant().access_token + "\n");
}

TEST_CASE(
    "pgstore: kill -9 at each step of a refresh heals on the next command, but for the window after Keap's answer",
    "[postgres][pgstore]") {
  struct Case {
    const char* step;
    bool heals;
  };
  auto [step, heals] = GENERATE(Case{"after-lock", true}, Case{"after-answer", false}, Case{"after-journal", true},
                                Case{"after-update", true}, Case{"after-commit", true});
  INFO("killed " << step);
  PgSetup setup;
  setup.seed("default", -1h);
  auto killed = setup.keap({"token"}, 0, {{"KEAP_AUTH_TEST_CRASH_AT", step}});
  REQUIRE(killed.exit_code == 128 + SIGKILL);
  auto spent = refresh_grants(setup.emulator);
  CHECK(spent == (std::string(step) == "after-lock" ? 0 : 1));

  auto next = setup.keap({"token"});
  INFO(next.err);
  if (heals) {
    REQUIRE(next.exit_code == 0);
    CHECK(refresh_grants(setup.emulator) == 1); // the journal's pair, or one refresh after the lock
    setup.require_consistent("default", 2);
    CHECK(next.out == setup.grant().access_token + "\n");
  } else {
    // The rotated pair existed only in the killed process: Keap says the stored refresh token is spent.
    CHECK(next.exit_code == 4);
    CHECK(next.err.find("login") != std::string::npos);
    auto status = setup.keap({"status"});
    CHECK(status.exit_code == 4);
    CHECK(setup.sql("select state from keap_auth.credentials") == "needs_login\n");
    CHECK(setup.generation() == 1);
  }
}

TEST_CASE("pgstore: kill -9 after the request was sent: Keap's rotation is lost and the next command says login",
          "[postgres][pgstore]") {
  PgSetup setup;
  setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(2s));
  auto run = setup.start({"token"});
  REQUIRE(wait_for_token_requests(setup.emulator, 1, 10s));
  run->send_signal(SIGKILL);
  CHECK(run->wait().exit_code == 128 + SIGKILL);
  // The emulator rotated the pair when it recorded the request; only its answer is late.
  setup.emulator.server.state().set_token_fault(std::nullopt);
  auto next = setup.keap({"refresh"});
  INFO(next.err);
  CHECK(next.exit_code == 4);
  CHECK(setup.generation() == 1);
  CHECK(setup.sql("select state from keap_auth.credentials") == "needs_login\n");
}

TEST_CASE("pgstore: a waiter gives up at its lock timeout with exit 5, naming the holder", "[postgres][pgstore]") {
  PgSetup setup(2);
  setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(6s));
  auto holder = setup.start({"refresh"});
  REQUIRE(wait_for_token_requests(setup.emulator, 1, 10s));
  auto started = std::chrono::steady_clock::now();
  auto waiter = setup.keap({"refresh", "--lock-timeout", "1s"}, 1);
  auto waited = std::chrono::steady_clock::now() - started;
  INFO(waiter.err);
  CHECK(waiter.exit_code == 5);
  CHECK(waiter.err.find("keap-auth/") != std::string::npos); // the holder's application_name
  CHECK(waiter.err.find(std::to_string(holder->pid())) != std::string::npos);
  CHECK(waited < 5s);
  auto held = holder->wait();
  INFO(held.err);
  CHECK(held.exit_code == 0);
  setup.emulator.server.state().set_token_fault(std::nullopt);
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore: refresh --all on two hosts at once refreshes each of 50 credentials once", "[postgres][pgstore]") {
  PgSetup setup(2);
  std::vector<std::string> profiles;
  for (int at = 0; at < 50; ++at) {
    profiles.push_back("p" + std::to_string(at));
    setup.seed(profiles.back(), 20h, 31 * 24h);
  }
  setup.emulator.server.state().set_token_fault(slow_answer(50ms));
  auto first = setup.start({"refresh", "--all", "--if-older-than", "30d"}, 0);
  auto second = setup.start({"refresh", "--all", "--if-older-than", "30d"}, 1);
  auto one = first->wait();
  auto two = second->wait();
  INFO(one.err);
  INFO(two.err);
  CHECK(one.exit_code == 0);
  CHECK(two.exit_code == 0);
  CHECK(refresh_grants(setup.emulator, 0) == 50);
  size_t refreshed = 0;
  for (const auto& profile : profiles) {
    auto line = profile + ": refreshed";
    auto by_first = one.err.find(line) != std::string::npos;
    auto by_second = two.err.find(line) != std::string::npos;
    CHECK(by_first != by_second); // exactly one host did it
    refreshed += by_first || by_second ? 1 : 0;
  }
  CHECK(refreshed == 50);
  CHECK(setup.sql("select count(*) from keap_auth.credentials where generation = 2 and state = 'active'") == "50\n");
  setup.emulator.server.state().set_token_fault(std::nullopt);
  setup.require_consistent("p0", 2);
  setup.require_consistent("p49", 2);
}

TEST_CASE("pgstore: a sealed value moved to another row does not open, and nothing is sent to Keap",
          "[postgres][pgstore]") {
  PgSetup setup;
  setup.seed("alpha", -1h);
  setup.seed("beta", -1h);
  setup.sql("update keap_auth.credentials set secrets = (select secrets from keap_auth.credentials where profile = "
            "'alpha') where profile = 'beta'");
  auto moved = setup.keap({"refresh", "--profile", "beta"});
  INFO(moved.err);
  CHECK(moved.exit_code == 1);
  CHECK(moved.err.find("wrong key or tampered") != std::string::npos);
  CHECK(refresh_grants(setup.emulator, 0) == 0);
  auto fine = setup.keap({"refresh", "--profile", "alpha"});
  INFO(fine.err);
  CHECK(fine.exit_code == 0);
  setup.require_consistent("alpha", 2);
}

TEST_CASE("pgstore: the wrong key, a missing key or a loose key file is refused before anything is sent",
          "[postgres][pgstore]") {
  PgSetup setup;
  setup.seed("default", -1h);
  auto original = read_file(setup.key_file);
  auto id = original.substr(0, original.find(' '));

  SECTION("the right id with other bytes: wrong key or tampered, exit 1") {
    write_file(setup.key_file, id + " " + std::string(43, 'A') + "= active\n", 0600);
    auto result = setup.keap({"refresh"});
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("wrong key or tampered") != std::string::npos);
  }
  SECTION("a keyring without the row's key: exit 2 naming the key id") {
    write_file(setup.key_file, "other " + std::string(43, 'A') + "= active\n", 0600);
    auto result = setup.keap({"refresh"});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(id) != std::string::npos);
  }
  SECTION("a key file others may read: exit 2, chmod 600") {
    write_file(setup.key_file, original, 0644);
    auto result = setup.keap({"refresh"});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("chmod 600") != std::string::npos);
  }
  CHECK(refresh_grants(setup.emulator, 0) == 0);
  write_file(setup.key_file, original, 0600);
  setup.require_consistent("default", 1);
}

TEST_CASE("pgstore: store rekey during a stampede loses no update and leaves every row under the new key",
          "[postgres][pgstore]") {
  PgSetup setup(2);
  for (const auto* profile : {"a", "b", "c"}) {
    setup.seed(profile, -1h);
  }
  auto old_id = read_file(setup.key_file).substr(0, read_file(setup.key_file).find(' '));
  REQUIRE(setup.keap({"store", "key", "generate"}).exit_code == 0);
  auto keys = read_file(setup.key_file);
  CHECK(file_mode(setup.key_file) == 0600);
  CHECK(keys.find(old_id + " ") != std::string::npos);
  setup.emulator.server.state().set_token_fault(slow_answer(200ms));
  std::vector<std::unique_ptr<Process>> runs;
  for (size_t at = 0; at < 12; ++at) {
    runs.push_back(setup.start({"token", "--profile", std::string(1, static_cast<char>('a' + at % 3))}, at % 2));
  }
  auto rekey = setup.keap({"store", "rekey"}, 1);
  INFO(rekey.err);
  CHECK(rekey.exit_code == 0);
  for (auto& run : runs) {
    auto result = run->wait();
    INFO(result.err);
    CHECK(result.exit_code == 0);
  }
  CHECK(refresh_grants(setup.emulator, 0) == 3);
  auto again = setup.keap({"store", "rekey"});
  CHECK(again.exit_code == 0);
  CHECK(setup.sql("select count(*) from keap_auth.credentials where key_id = '" + old_id + "'") == "0\n");
  auto listed = setup.keap({"store", "key", "list"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find(old_id + ": 0 credentials") != std::string::npos);
  setup.emulator.server.state().set_token_fault(std::nullopt);
  for (const auto* profile : {"a", "b", "c"}) {
    setup.require_consistent(profile, 2);
  }
}

TEST_CASE("pgstore: store import waits for a file-based refresh that holds the file's lock, then retires the file",
          "[postgres][pgstore]") {
  PgSetup setup;
  auto file = setup.dir.file("legacy.json");
  seed_credentials(setup.emulator, file, -1h);
  auto file_config = setup.dir.file("file-config.json");
  auto json = nlohmann::json::parse(read_file(setup.config));
  json.erase("store");
  json["credentials_file"] = file;
  write_file(file_config, json.dump(2), 0600);
  setup.emulator.server.state().set_token_fault(slow_answer(2s));
  Process file_refresh({keap_auth(), "refresh", "--config", file_config}, setup.hosts[0]->env());
  REQUIRE(wait_for_token_requests(setup.emulator, 1, 10s));
  auto imported = setup.keap({"store", "import", "--profile", "legacy", "--from", file});
  INFO(imported.err);
  CHECK(imported.exit_code == 0);
  CHECK(file_refresh.wait().exit_code == 0);
  CHECK_FALSE(file_exists(file));
  // What was imported is the pair the file-based refresh saved, not the one it spent.
  setup.emulator.server.state().set_token_fault(std::nullopt);
  auto later = run({keap_auth(), "refresh", "--force", "--config", file_config}, setup.hosts[0]->env());
  CHECK(later.exit_code == 4);
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  for (const auto& entry : std::filesystem::directory_iterator(setup.dir.path())) {
    if (entry.path().filename().string().starts_with("legacy.json.imported-")) {
      std::filesystem::remove(entry.path());
    }
  }
  setup.require_consistent("legacy", 1);
}

TEST_CASE("pgstore: a password in store_url, an uninitialised store and an unreachable one have their exit codes",
          "[postgres][pgstore]") {
  PgSetup setup;
  setup.seed("default", 1h);
  SECTION("a password in the URL: exit 2, and the password is not echoed") {
    setup.use_store_url("postgresql://postgres:hunter2-Secret@127.0.0.1:" + std::to_string(setup.cluster.port()) +
                        "/keap?sslmode=disable");
    auto result = setup.keap({"status"});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("hunter2-Secret") == std::string::npos);
    CHECK(result.err.find("passfile") != std::string::npos);
  }
  SECTION("a database without the schema: exit 2, store init") {
    setup.cluster.create_database("empty");
    setup.use_store_url(setup.cluster.url("empty"));
    auto result = setup.keap({"status"});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("store init") != std::string::npos);
  }
  SECTION("nothing listening: exit 5") {
    setup.use_store_url(setup.cluster.url("keap", free_port()));
    auto result = setup.keap({"refresh", "--force"});
    INFO(result.err);
    CHECK(result.exit_code == 5);
  }
  SECTION("TLS is required off loopback") {
    setup.use_store_url("postgresql://postgres@db.example.com/keap?sslmode=require");
    auto result = setup.keap({"status"});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("verify-full") != std::string::npos);
  }
  SECTION("store init again changes nothing") {
    auto again = setup.keap({"store", "init"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    auto doctor = setup.keap({"store", "doctor"});
    INFO(doctor.out + doctor.err);
    CHECK(doctor.exit_code == 0);
    auto sql = setup.keap({"store", "init", "--print-sql"});
    CHECK(sql.out.find("keap_auth_rw") != std::string::npos);
  }
  setup.use_store_url(setup.cluster.url("keap"));
  setup.require_consistent("default", 1);
}

TEST_CASE("pgstore: login --profile app puts the grant in the store, and whoami and api use it from another host",
          "[postgres][pgstore]") {
  PgSetup setup(2);
  auto arguments = std::vector<std::string>{"--profile", "app", "--no-browser", "--config", setup.config};
  auto login = start_login(arguments, setup.hosts[0]->env());
  browse(login.authorize_url);
  auto result = login.process->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(setup.sql("select profile, state, app from keap_auth.credentials") == "ab123|active|ab123\n");
  auto again = start_login({"--profile", "second", "--no-browser", "--config", setup.config}, setup.hosts[1]->env());
  browse(again.authorize_url);
  auto refused = again.process->wait();
  CHECK(refused.exit_code == 2); // one grant per client and app, across the whole store
  CHECK(setup.sql("select count(*) from keap_auth.credentials") == "1\n");

  auto whoami = setup.keap({"whoami", "--profile", "ab123"}, 1);
  INFO(whoami.err);
  CHECK(whoami.exit_code == 0);
  auto contacts = setup.keap({"api", "v1/contacts", "--profile", "ab123"}, 1);
  INFO(contacts.err);
  CHECK(contacts.exit_code == 0);
  CHECK(contacts.out.find("contacts") != std::string::npos);
  auto list = setup.keap({"list", "--json"}, 1);
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("ab123") != std::string::npos);
  setup.require_consistent("ab123", 1);
}
