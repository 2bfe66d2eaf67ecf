// The PostgreSQL store's share of "never lose a rotated pair" and "nothing stale served": a host with no
// home still rescues a pair the database would not take, journals are replayed only under their
// profile's lock, parallel imports do not trip over each other's journals, and the access-token cache
// is confirmed against the store within store_cache_ttl.
#include "store/token_cache.hpp"
#include "support/pg_setup.hpp"
#include "util/posix_file.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

nlohmann::json short_timeouts() { return {{"refresh_deadline", "8s"}, {"store_connect_timeout", "2s"}}; }

/// A host as a service account with no usable home has it: no folder of its own anywhere (not even root
/// can make one under /proc), and only the temporary folder.
std::map<std::string, std::string> homeless(const TempDir& temporary) {
  return {{"HOME", "/proc/keap-auth-no-home"},
          {"XDG_STATE_HOME", ""},
          {"XDG_CACHE_HOME", ""},
          {"XDG_CONFIG_HOME", ""},
          {"TMPDIR", temporary.path()}};
}

std::vector<std::string> files_in(const std::string& folder, const std::string& ending) {
  std::vector<std::string> found;
  std::error_code missing;
  for (std::filesystem::recursive_directory_iterator entry(folder, missing), end; !missing && entry != end;
       entry.increment(missing)) {
    if (entry->path().string().ends_with(ending)) {
      found.push_back(entry->path().string());
    }
  }
  return found;
}

} // namespace

TEST_CASE("pgstore trust: a host without a home rescues the pair the database did not take, and says how to "
          "put it back",
          "[postgres][pgstore][rescue]") {
  PgSetup setup(1, emulator_settings(), short_timeouts());
  setup.seed("default", -1h);
  TempDir temporary;
  auto env = homeless(temporary);
  setup.emulator.server.state().set_token_fault(slow_answer(2s, 1));
  auto before = setup.emulator.server.state().token_requests().size();
  auto holder = setup.start({"refresh"}, 0, env);
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  setup.cluster.stop("fast"); // Keap has rotated; the UPDATE will find no database
  auto result = holder->wait(60s);
  INFO(result.err);
  REQUIRE(result.exit_code == 1);
  auto own = util::private_folder_name(temporary.path());
  auto marker = std::string("the NEW credentials were saved to ");
  auto at = result.err.find(marker);
  REQUIRE(at != std::string::npos);
  auto rescue = result.err.substr(at + marker.size(), result.err.find('\n', at) - at - marker.size());
  REQUIRE(rescue.starts_with(own + "/"));
  REQUIRE(file_mode(rescue) == 0600u);
  REQUIRE(file_mode(own) == 0700u);
  auto restore = "keap-auth store import --profile default --from '" + rescue + "' --replace";
  REQUIRE(result.err.find(restore) != std::string::npos);

  setup.cluster.start();
  auto status = setup.keap({"status"}, 0, env);
  INFO(status.out);
  REQUIRE(status.exit_code == 4);
  REQUIRE(status.out.find("next: put the newer credentials in place: `" + restore + "`") != std::string::npos);
  auto imported = setup.keap({"store", "import", "--profile", "default", "--from", rescue, "--replace"}, 0, env);
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  REQUIRE(setup.keap({"status"}, 0, env).exit_code == 0);
  REQUIRE(setup.grant().refresh_token == setup.emulator.server.state().token_requests().back().issued_refresh_token);
}

TEST_CASE("pgstore trust: a journal whose writer holds the profile's lock is left to it, and nobody is told to "
          "reconcile",
          "[postgres][pgstore][journal]") {
  PgSetup setup(1);
  setup.seed("default", 2h);
  auto folder = setup.hosts[0]->home.file("state") + "/keap-auth/journal";
  auto committed = files_in(folder, ".journal.committed");
  REQUIRE(committed.size() == 1); // the import's
  // The import's pair, as a journal still waiting: what a writer leaves between its journal and COMMIT.
  auto pending = committed.front().substr(0, committed.front().size() - std::string(".committed").size());
  std::filesystem::rename(committed.front(), pending);
  auto store_id = setup.sql("select store_id::text from keap_auth.meta");
  store_id.erase(store_id.find_last_not_of("\n ") + 1);
  Process writer({"/usr/lib/postgresql/15/bin/psql", "-X", "-w", "-q", "-d", setup.cluster.url("keap"), "-c",
                  "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('keap-auth:" + store_id +
                      ":default', 0)); SELECT 'locked'; SELECT pg_sleep(60);"},
                 {{"PGPASSFILE", setup.cluster.passfile()}});
  // Wait for the lock to be held (the event), not for a time.
  REQUIRE(eventually(
      [&] { return setup.sql("select count(*) from pg_locks where locktype = 'advisory' and granted") == "1\n"; }));
  for (const auto& command : std::vector<std::vector<std::string>>{{"status"}, {"token"}, {"list"}}) {
    auto result = setup.keap(command);
    INFO(command.front() << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.err.find("reconcile") == std::string::npos);
    REQUIRE(file_exists(pending)); // not touched while its writer may be committing it
  }
  // The writer's session ends (its client went away mid-statement): the lock goes with it.
  setup.sql("select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted");
  writer.wait();
  auto after = setup.keap({"status"});
  REQUIRE(after.exit_code == 0);
  REQUIRE(after.err.find("reconcile") == std::string::npos);
  REQUIRE_FALSE(file_exists(pending)); // free now: found already in the store, and retired
  REQUIRE(file_exists(pending + ".committed"));
}

TEST_CASE("pgstore trust: parallel imports of different profiles all succeed", "[postgres][pgstore][journal]") {
  PgSetup setup(1);
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<Process>> imports;
    for (int i = 0; i < 3; ++i) {
      auto profile = "p" + std::to_string(round) + "-" + std::to_string(i);
      auto file = setup.dir.file(profile + ".json");
      seed_credentials(setup.emulator, file, 2h);
      imports.push_back(setup.start({"store", "import", "--profile", profile, "--from", file}));
    }
    for (auto& import : imports) {
      auto result = import->wait();
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      REQUIRE(result.err.find("duplicate key") == std::string::npos);
    }
  }
}

TEST_CASE("pgstore trust: a login made on another host is served within store_cache_ttl, and --no-cache asks the "
          "store at once",
          "[postgres][pgstore][cache]") {
  PgSetup setup(2, emulator_settings(), {{"store_cache_ttl", "60s"}});
  setup.seed("default", 2h);
  auto first = setup.keap({"token"}, 0);
  REQUIRE(first.exit_code == 0);
  setup.seed("other", 2h); // something else on the store, and then the grant replaced from host 1:
  auto file = setup.dir.file("replacement.json");
  auto replacement = seed_credentials(setup.emulator, file, 3h);
  auto replaced = setup.keap({"store", "import", "--profile", "default", "--from", file, "--replace"}, 1);
  INFO(replaced.err);
  REQUIRE(replaced.exit_code == 0);
  // Host 0's cache is still young: it may serve the old token, but --no-cache never does.
  REQUIRE(setup.keap({"token", "--no-cache"}, 0).out == replacement.access_token + "\n");
  // Once the cache's confirmation is older than the ttl (as a minute later), the store is asked again.
  auto cache = files_in(setup.hosts[0]->home.file("cache"), "default.token");
  REQUIRE(cache.size() == 1);
  auto entry = store::read_token_cache(cache.front());
  REQUIRE(entry);
  entry->access_token = first.out.substr(0, first.out.size() - 1);
  entry->checked_at = util::now_seconds() - 61s;
  store::write_token_cache(cache.front(), *entry);
  REQUIRE(setup.keap({"token"}, 0).out == replacement.access_token + "\n");
}

TEST_CASE("pgstore trust: a store_url without a host is judged as libpq resolves it, before anything is sent",
          "[postgres][pgstore][tls]") {
  Setup setup({}, {{"store", "postgres"}, {"store_url", "dbname=keap user=keap"}});
  // 192.0.2.10 is TEST-NET-1: nothing answers there, and nothing may be sent there without TLS.
  auto through_pghost = setup.keap({"status"}, {{"PGHOST", "192.0.2.10"}});
  INFO(through_pghost.err);
  REQUIRE(through_pghost.exit_code == 2);
  REQUIRE(through_pghost.err.find("would be reached at 192.0.2.10 with sslmode prefer") != std::string::npos);
  write_file(setup.dir.file("pg_service.conf"), "[keap]\nhost=192.0.2.10\ndbname=keap\nsslmode=require\n", 0600);
  auto service = setup.keap({"status"},
                            {{"PGSERVICEFILE", setup.dir.file("pg_service.conf")}, {"KEAP_STORE_URL", "service=keap"}});
  INFO(service.err);
  REQUIRE(service.exit_code == 2);
  REQUIRE(service.err.find("with sslmode require") != std::string::npos);
  REQUIRE(service.err.find("tokens need verify-full") != std::string::npos);
  // On loopback the same is allowed (and here finds no server: exit 5, not a refusal).
  auto local = setup.keap({"status"}, {{"PGHOST", "127.0.0.1"}, {"PGPORT", std::to_string(free_port())}});
  REQUIRE(local.exit_code == 5);
}

TEST_CASE("pgstore trust: logout empties the row's secrets and the host's cache, and a login after it works",
          "[postgres][pgstore][logout]") {
  PgSetup setup(1);
  auto grant = setup.seed("default", 2h);
  REQUIRE(setup.keap({"token"}).exit_code == 0); // the cache now holds the access token
  REQUIRE(files_in(setup.hosts[0]->home.file("cache"), "default.token").size() == 1);
  auto result = setup.keap({"logout"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(setup.keap({"status"}).exit_code == 4);
  REQUIRE(files_in(setup.hosts[0]->home.file("cache"), "default.token").empty());
  auto secrets = setup.sql("select length(secrets) from keap_auth.credentials where profile = 'default'");
  REQUIRE(secrets.find('0') == 0);
  REQUIRE(setup.cluster.dump("keap").find(grant.refresh_token) == std::string::npos);
  setup.seed("default", 2h); // in again, through the same row
  REQUIRE(setup.keap({"status"}).exit_code == 0);
}
