// Many credentials from one place: profiles, `list`, `status --all` and `refresh --all`, with real
// processes against the emulator.
#include "store/file_store.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

constexpr auto k_day = std::chrono::hours(24);

/// A setup whose config puts profiles in creds/ beside it.
struct Profiles : Setup {
  explicit Profiles(emulator::Settings settings = emulator_settings())
      : Setup(std::move(settings), {{"credentials_dir", "creds"}}) {
    std::filesystem::create_directory(dir.file("creds"));
    std::filesystem::permissions(dir.file("creds"), std::filesystem::perms::owner_all);
  }
  std::string file(const std::string& profile) const { return dir.file("creds/" + profile + ".json"); }
  OAuthGrant seed(const std::string& profile, std::chrono::seconds refresh_age, std::chrono::seconds access_left = 2h) {
    return seed_credentials(emulator, file(profile), access_left, refresh_age);
  }
};

std::string name(const char* prefix, int i) { return prefix + std::to_string(i); }

/// Holds a profile's lock from this process, as a refresh in another process would.
struct HeldLock {
  explicit HeldLock(const std::string& credentials)
      : fd(::open((credentials + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    REQUIRE(::flock(fd, LOCK_EX) == 0);
  }
  ~HeldLock() { ::close(fd); }
  int fd;
};

void require_whole_and_private(const std::string& folder) {
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    auto path = entry.path().string();
    if (!path.ends_with(".json")) {
      continue;
    }
    INFO(path);
    REQUIRE(file_mode(path) == 0600);
    REQUIRE_NOTHROW(parse_credential(read_file(path), path));
  }
}

} // namespace

TEST_CASE("refresh --all: 25 profiles, old, young, dead and locked, each decided on its own", "[profiles][all]") {
  Profiles setup;
  std::map<std::string, OAuthGrant> young, dead;
  for (int i = 0; i < 11; ++i) {
    young[name("young", i)] = setup.seed(name("young", i), 3 * k_day);
  }
  for (int i = 0; i < 10; ++i) {
    setup.seed(name("old", i), 31 * k_day);
  }
  for (int i = 0; i < 3; ++i) {
    dead[name("dead", i)] = setup.seed(name("dead", i), 35 * k_day);
    kill_refresh_token(setup.emulator, dead[name("dead", i)]);
  }
  setup.seed("locked", 32 * k_day);
  auto before = refresh_grants(setup.emulator, 0); // the three kills

  std::map<std::string, std::string> untouched;
  for (const auto& [profile, grant] : young) {
    untouched[profile] = read_file(setup.file(profile));
  }
  ProcessResult result;
  {
    HeldLock busy(setup.file("locked"));
    result = setup.keap({"refresh", "--all", "--if-older-than", "30d", "--lock-timeout", "1s", "--json"});
  }
  INFO(result.err);
  REQUIRE(result.exit_code == 4); // a login needed is more urgent than the busy one (5)
  auto json = json_of(result);
  REQUIRE(json["totals"]["credentials"] == 25);
  REQUIRE(json["totals"]["refreshed"] == 10);
  REQUIRE(json["totals"]["not_needed"] == 11);
  REQUIRE(json["totals"]["failed"] == 4);
  for (const auto& entry : json["results"]) {
    auto profile = entry["profile"].get<std::string>();
    INFO(profile);
    if (profile.starts_with("old")) {
      REQUIRE(entry["outcome"] == "refreshed");
      REQUIRE(entry["reason"] == "refresh_token_old");
    } else if (profile.starts_with("young")) {
      REQUIRE(entry["outcome"] == "not_needed");
      REQUIRE(read_file(setup.file(profile)) == untouched[profile]);
    } else if (profile.starts_with("dead")) {
      REQUIRE(entry["outcome"] == "failed");
      REQUIRE(entry["exit_code"] == 4);
      REQUIRE(entry["class"] == "relogin");
    } else {
      REQUIRE(profile == "locked");
      REQUIRE(entry["exit_code"] == 5);
      REQUIRE(entry["text"].get<std::string>().find("held the lock") != std::string::npos);
    }
  }
  REQUIRE(refresh_grants(setup.emulator, 200) - before == 10);
  REQUIRE(refresh_grants(setup.emulator, 0) - before == 13); // the three dead ones asked once each
  REQUIRE(result.err.find("dead0: failed (exit 4)") != std::string::npos);
  REQUIRE(result.err.find("keap-auth login --profile dead0") != std::string::npos);
  REQUIRE(result.err.find("locked: failed (exit 5)") != std::string::npos);
  REQUIRE(result.err.find("25 credentials: 10 refreshed, 11 not needed, 0 skipped, 4 failed") != std::string::npos);
  require_whole_and_private(setup.dir.file("creds"));
  for (const auto& [profile, grant] : dead) {
    REQUIRE(result.out.find(grant.refresh_token) == std::string::npos);
    REQUIRE(result.err.find(grant.refresh_token) == std::string::npos);
  }

  // The next run asks Keap about none of the dead ones again: their rejection is on record.
  auto again = setup.keap({"refresh", "--all", "--if-older-than", "30d"});
  REQUIRE(again.exit_code == 4);
  REQUIRE(refresh_grants(setup.emulator, 0) - before == 14); // only the locked one, now free
  REQUIRE(again.err.find("dead1: failed (exit 4): the refresh token was rejected at ") != std::string::npos);
}

TEST_CASE("refresh --all: a credential cooling down after a failure is skipped with its exit code, and --force "
          "refreshes it",
          "[profiles][all]") {
  Profiles setup;
  auto grant = setup.seed("acme", 31 * k_day);
  grant.last_refresh_failure = RefreshFailure{util::now_seconds() - 60s, "unavailable", "Keap answered HTTP 503"};
  save_grant(setup.file("acme"), grant);
  auto cooling = setup.keap({"refresh", "--all", "--if-older-than", "30d", "--json"});
  INFO(cooling.err);
  REQUIRE(cooling.exit_code == 5); // not refreshed: the run must not look like a success
  REQUIRE(json_of(cooling)["totals"]["skipped"] == 1);
  REQUIRE(cooling.err.find("less than failure_cooldown (10m) ago: Keap answered HTTP 503") != std::string::npos);
  auto forced = setup.keap({"refresh", "--all", "--force", "--json"});
  INFO(forced.err);
  REQUIRE(forced.exit_code == 0);
  REQUIRE(json_of(forced)["totals"]["refreshed"] == 1);
  REQUIRE_FALSE(load_grant(setup.file("acme")).last_refresh_failure);
}

TEST_CASE("refresh --all: after a SIGTERM, the refreshes in flight finish, save, and are counted as refreshed",
          "[profiles][all][signals]") {
  Profiles setup;
  for (const char* profile : {"one", "two"}) {
    setup.seed(profile, 31 * k_day);
  }
  setup.emulator.server.state().set_token_fault(slow_answer(2s, 2));
  auto before = setup.emulator.server.state().token_requests().size();
  auto run = setup.start({"refresh", "--all", "--jobs", "2", "--json"});
  REQUIRE(wait_for_token_requests(setup.emulator, before + 2, 10s));
  run->send_signal(SIGTERM);
  auto result = run->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 130);
  auto json = json_of(result);
  REQUIRE(json["totals"]["refreshed"] == 2);
  REQUIRE(json["totals"]["failed"] == 0);
  for (const char* profile : {"one", "two"}) {
    REQUIRE(setup.emulator.server.state().refresh_token_valid(load_grant(setup.file(profile)).refresh_token,
                                                              util::now_seconds()));
  }
}

TEST_CASE("refresh --all --jobs 4 while 16 token processes read random profiles: no wrong, dead or extra token",
          "[profiles][all][concurrency]") {
  auto settings = emulator_settings();
  settings.token_fault = slow_answer(150ms); // long enough for the readers to overlap the refreshes
  Profiles setup(settings);
  std::map<std::string, OAuthGrant> seeded;
  for (int i = 0; i < 20; ++i) {
    seeded[name("p", i)] = setup.seed(name("p", i), 31 * k_day);
  }
  auto refresh = setup.start({"refresh", "--all", "--if-older-than", "30d", "--jobs", "4"});
  std::mt19937 random{42};
  std::vector<std::pair<std::string, std::unique_ptr<Process>>> readers;
  for (int i = 0; i < 16; ++i) {
    std::this_thread::sleep_for(30ms); // spacing, so readers land all through the run (any order passes)
    auto profile = name("p", static_cast<int>(random() % 20));
    readers.emplace_back(profile, setup.start({"token", "--profile", profile}));
  }
  auto refreshed = refresh->wait();
  INFO(refreshed.err);
  REQUIRE(refreshed.exit_code == 0);
  for (auto& [profile, reader] : readers) {
    auto result = reader->wait();
    INFO(profile << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    auto token = result.out.substr(0, result.out.size() - 1);
    auto now = load_grant(setup.file(profile)).access_token;
    REQUIRE((token == seeded[profile].access_token || token == now)); // its own profile's, old or new
    REQUIRE(setup.emulator.server.state().access_token_valid(token, util::now_seconds()));
  }
  REQUIRE(refresh_grants(setup.emulator, 0) == 20); // the readers caused none
  require_whole_and_private(setup.dir.file("creds"));
}

TEST_CASE("refresh --all killed with SIGKILL at random moments leaves every file whole", "[profiles][all][kill]") {
  auto settings = emulator_settings();
  settings.token_fault = slow_answer(40ms);
  Profiles setup(settings);
  for (int i = 0; i < 8; ++i) {
    setup.seed(name("p", i), 31 * k_day);
  }
  std::mt19937 random{7};
  for (int round = 0; round < 15; ++round) {
    auto run = setup.start({"refresh", "--all", "--jobs", "2"});
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 250)); // a random moment is the point
    run->send_signal(SIGKILL);
    run->wait();
    require_whole_and_private(setup.dir.file("creds"));
  }
  // Whatever the kills interrupted, a later run finds every file readable and decides on it.
  auto after = setup.keap({"refresh", "--all", "--json"});
  auto json = json_of(after);
  REQUIRE(json["totals"]["credentials"] == 8);
  REQUIRE(json["totals"]["refreshed"].get<int>() + json["totals"]["failed"].get<int>() == 8);
}

TEST_CASE("refresh --all: keys are skipped, nothing at all is said plainly, a signal ends it after the saves",
          "[profiles][all]") {
  Profiles setup;
  auto empty = setup.keap({"refresh", "--all"});
  REQUIRE(empty.exit_code == 0);
  REQUIRE(empty.err.find("the store holds no credentials") != std::string::npos);
  write_file(setup.dir.file("key.txt"), setup.emulator.server.rest().personal_access_token() + "\n", 0600);
  REQUIRE(setup.keap({"login", "--profile", "key", "--api-key-file", setup.dir.file("key.txt")}).exit_code == 0);
  auto skipped = setup.keap({"refresh", "--all", "--json"});
  REQUIRE(skipped.exit_code == 0);
  REQUIRE(json_of(skipped)["results"][0]["outcome"] == "skipped");
  REQUIRE(skipped.err.find("key: skipped: an API key has nothing to refresh") != std::string::npos);
  REQUIRE(setup.keap({"refresh", "--all", "--profile", "key"}).exit_code == 2);
  REQUIRE(setup.keap({"refresh", "--jobs", "2"}).exit_code == 2);
}

TEST_CASE("list: one line per credential with its health, JSON for scripts, never a secret", "[profiles][list]") {
  Profiles setup;
  auto fine = setup.seed("fine", 2 * k_day);
  auto soon = setup.seed("soon", 31 * k_day);
  setup.seed("gone", 50 * k_day);
  write_file(setup.file("broken"), "{not json", 0600);
  auto seeded_default = seed_credentials(setup.emulator, setup.path(), 2h);

  auto human = setup.keap({"list"});
  INFO(human.out << human.err);
  REQUIRE(human.exit_code == 4); // gone and broken need a login
  REQUIRE(human.out.starts_with("PROFILE"));
  for (const char* expected : {"fine ", "soon ", "gone ", "broken ", "default "}) {
    REQUIRE(human.out.find(expected) != std::string::npos);
  }
  REQUIRE(human.out.find("refresh soon") != std::string::npos);
  REQUIRE(human.out.find("login needed") != std::string::npos);
  REQUIRE(human.out.find("damaged") != std::string::npos);
  auto json = json_of(setup.keap({"list", "--json"}));
  REQUIRE(json["schema"] == 1);
  REQUIRE(json["totals"]["credentials"] == 5);
  std::map<std::string, nlohmann::json> by_profile;
  for (const auto& entry : json["credentials"]) {
    by_profile[entry["profile"]] = entry;
  }
  REQUIRE(by_profile["fine"]["health"] == "ok");
  REQUIRE(by_profile["fine"]["app"] == "ab123");
  REQUIRE(by_profile["fine"]["credentials_file"] == setup.file("fine"));
  REQUIRE(by_profile["soon"]["health"] == "refresh_soon");
  REQUIRE(by_profile["gone"]["health"] == "login_needed");
  REQUIRE(by_profile["broken"]["health"] == "damaged");
  REQUIRE(by_profile["default"]["credentials_file"] == setup.path());
  for (const auto& grant : {fine, soon, seeded_default}) {
    REQUIRE(human.out.find(grant.access_token) == std::string::npos);
    REQUIRE(json.dump().find(grant.refresh_token) == std::string::npos);
  }
  std::filesystem::remove(setup.file("gone"));
  std::filesystem::remove(setup.file("broken"));
  REQUIRE(setup.keap({"list"}).exit_code == 0);
  auto advice = setup.keap({"status", "--all"});
  REQUIRE(advice.exit_code == 0);
  REQUIRE(advice.out.find("soon: refresh soon, before ") != std::string::npos);
  REQUIRE(advice.out.find("keap-auth refresh --profile soon") != std::string::npos);
  REQUIRE(json_of(setup.keap({"status", "--all", "--json"}))["credentials"][0].contains("next_step"));
}

TEST_CASE("profiles: --profile, KEAP_PROFILE and the config pick the credential, the default stays as it was",
          "[profiles]") {
  Profiles setup;
  auto acme = setup.seed("acme", 1 * k_day);
  auto plain = seed_credentials(setup.emulator, setup.path(), 2h);
  REQUIRE(setup.keap({"token"}).out == plain.access_token + "\n"); // no profile: today's file
  REQUIRE(setup.keap({"token", "--profile", "acme"}).out == acme.access_token + "\n");
  REQUIRE(setup.keap({"token"}, {{"KEAP_PROFILE", "acme"}}).out == acme.access_token + "\n");
  auto status = json_of(setup.keap({"status", "--json", "--profile", "acme"}));
  REQUIRE(status["credentials_file"] == setup.file("acme"));
  for (const char* bad : {"Acme", "a/b", "../x", "a b"}) {
    auto refused = setup.keap({"token", "--profile", bad});
    INFO(bad);
    REQUIRE(refused.exit_code == 2);
    REQUIRE(refused.err.find("is not a profile name") != std::string::npos);
    REQUIRE(refused.err.find("lowercase letters, digits") != std::string::npos);
  }
  auto missing = setup.keap({"token", "--profile", "nobody"});
  REQUIRE(missing.exit_code == 4);
  REQUIRE(missing.err.find(setup.file("nobody")) != std::string::npos);
  REQUIRE(missing.err.find("run `keap-auth login --profile nobody` first") != std::string::npos);
}

TEST_CASE("profiles: api --dry-run keeps the profile in the command it prints", "[profiles][api][dry-run]") {
  Profiles setup;
  setup.seed("acme", 1 * k_day);
  // The default profile holds a key: a command that lost the profile would send it, not acme's token.
  write_file(setup.path(),
             serialize_credential(ApiKey{setup.emulator.server.rest().personal_access_token(),
                                         KeyKind::personal_access_token, util::now_seconds(), ""}),
             0600);
  auto dry = setup.keap({"api", "v1/contacts", "-q", "limit=1", "--dry-run"}, {{"KEAP_PROFILE", "acme"}});
  REQUIRE(dry.exit_code == 0);
  REQUIRE(dry.out.find(" --profile 'acme'") != std::string::npos);
  auto ran = run({"/bin/sh", "-c", dry.out}); // where it runs, KEAP_PROFILE is not set
  INFO(ran.err);
  REQUIRE(ran.exit_code == 0);
  auto requests = setup.emulator.server.rest().requests();
  REQUIRE(requests.size() == 1);
  REQUIRE(requests[0].credential == "oauth");
}

TEST_CASE("profiles: login --profile app names the profile after the Keap app, and never twice", "[profiles][login]") {
  Profiles setup;
  auto login = start_login({"--profile", "app", "--no-browser", "--config", setup.config});
  browse(login.authorize_url);
  auto result = login.process->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.err.find(setup.file("ab123")) != std::string::npos);
  auto first = load_grant(setup.file("ab123"));
  REQUIRE(first.app == "ab123");
  REQUIRE_FALSE(file_exists(setup.file("app")));

  // The same client and app again under another name: refused, the new grant kept aside, nothing lost.
  auto second = start_login({"--profile", "second", "--no-browser", "--config", setup.config});
  browse(second.authorize_url);
  auto refused = second.process->wait();
  REQUIRE(refused.exit_code == 2);
  REQUIRE(refused.err.find("the profile \"ab123\" already holds a grant") != std::string::npos);
  REQUIRE(refused.err.find("to use it for the profile \"ab123\", run `mv ") != std::string::npos);
  REQUIRE_FALSE(file_exists(setup.file("second")));
  REQUIRE(load_grant(setup.file("ab123")).refresh_token == first.refresh_token);
  std::vector<std::string> kept;
  for (const auto& entry : std::filesystem::directory_iterator(setup.dir.file("creds"))) {
    if (entry.path().filename().string().starts_with("second.json.login.rescue-")) {
      kept.push_back(entry.path().string());
    }
  }
  REQUIRE(kept.size() == 1);
  REQUIRE(file_mode(kept.front()) == 0600);
  REQUIRE(setup.keap({"list"}).out.find("second") == std::string::npos); // a kept grant is no profile
}

TEST_CASE("profiles: per-profile config values reach the commands", "[profiles][config]") {
  Setup setup(emulator_settings(), {{"credentials_dir", "creds"},
                                    {"profiles",
                                     {{"short", {{"refresh_token_lifetime", "10d"}}},
                                      {"elsewhere", {{"credentials_file", "other/e.json"}}}}}});
  std::filesystem::create_directories(setup.dir.file("creds"));
  std::filesystem::create_directories(setup.dir.file("other"));
  seed_credentials(setup.emulator, setup.dir.file("creds/short.json"), 2h, 8 * k_day);
  seed_credentials(setup.emulator, setup.dir.file("other/e.json"), 2h, 8 * k_day);
  auto json = json_of(setup.keap({"list", "--json"}));
  std::map<std::string, nlohmann::json> by_profile;
  for (const auto& entry : json["credentials"]) {
    by_profile[entry["profile"]] = entry;
  }
  REQUIRE(by_profile["short"]["health"] == "refresh_soon"); // 8 of its 10 days
  REQUIRE(by_profile["elsewhere"]["health"] == "ok");       // 8 of the default 45
  REQUIRE(by_profile["elsewhere"]["credentials_file"] == setup.dir.file("other/e.json"));
  REQUIRE(json_of(setup.keap({"status", "--json", "--profile", "short"}))["refresh_soon_after_seconds"] ==
          (10 * 86400 * 2) / 3);
}
