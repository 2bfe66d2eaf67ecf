// Times the PostgreSQL store against the file store, as README.md reports:
//   `token` answered from the access-token cache      vs  `token` on a credentials file
//   `token` that must read the store (no cache)       vs  `token` on a credentials file
//   `refresh --force` through the store               vs  `refresh --force` on a credentials file
// with a throwaway PostgreSQL 15 cluster on loopback (tests/support/postgres.cpp) and an in-process
// emulator. Paired runs, medians; nothing is asserted.
#include "bench_support.hpp"
#include "emulator/server.hpp"
#include "oauth/token_client.hpp"
#include "support/postgres.hpp"
#include "util/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace keap::bench;

namespace {

std::string write_config(const std::string& path, nlohmann::json config) {
  std::ofstream(path) << config.dump(2);
  return path;
}

void run_or_exit(const std::vector<std::string>& command) { (void)spawn_and_wait(command, "/tmp/bench-pgstore.err"); }

void row(const char* name, const Pair& pair) {
  std::printf("| %s | %.1f ms | %.1f ms | %.2fx | %ld KiB |\n", name, pair.measured.median_us / 1000,
              pair.floor.median_us / 1000, pair.measured.median_us / pair.floor.median_us,
              pair.measured.median_peak_kib);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_pgstore KEAP_AUTH_BINARY [RUNS]\n");
    return 2;
  }
  std::string keap_auth = argv[1];
  int runs = argc > 2 ? std::atoi(argv[2]) : 100;
  keap::emulator::Settings settings;
  settings.client_id = "bench-client";
  settings.client_secret = "bench-secret";
  keap::emulator::Server emulator(settings, 0);
  emulator.start();
  keap::test::PostgresCluster cluster;
  cluster.create_database("keap");
  keap::test::TempDir dir;

  keap::oauth::TokenEndpoint client{*keap::util::parse_url(emulator.base_url() + "/token"), keap::TokenAuth::keap,
                                    settings.client_id, settings.client_secret};
  // Two grants: each store refreshes its own (one refresh token in two places would die at the first refresh).
  for (const char* name : {"file-store.json", "import.json"}) {
    auto body = nlohmann::json::parse(emulator.state().mint_tokens(keap::util::now_seconds()).body);
    auto grant = keap::oauth::grant_from_response(
        {body["access_token"], body["refresh_token"], "bearer", body["scope"], body["expires_in"]}, client,
        keap::util::now_seconds());
    keap::util::write_file_atomically(dir.file(name), keap::serialize_credential(grant));
  }

  nlohmann::json base{{"token_url", emulator.base_url() + "/token"}, {"client_id", settings.client_id}};
  auto file_config = base;
  file_config["credentials_file"] = dir.file("file-store.json");
  auto store_config = base;
  store_config.update({{"store", "postgres"},
                       {"store_url", cluster.url("keap")},
                       {"store_passfile", cluster.passfile()},
                       {"store_key_file", dir.file("store.keys")},
                       {"store_cache_dir", dir.file("cache")},
                       {"store_journal_dir", dir.file("journal")}});
  auto uncached_config = store_config;
  uncached_config["store_cache"] = false;
  auto files = write_config(dir.file("file.json"), file_config);
  auto store = write_config(dir.file("store.json"), store_config);
  auto uncached = write_config(dir.file("uncached.json"), uncached_config);
  run_or_exit({keap_auth, "store", "key", "generate", "--quiet", "--config", store});
  run_or_exit({keap_auth, "store", "init", "--quiet", "--config", store});
  run_or_exit({keap_auth, "store", "import", "--quiet", "--from", dir.file("import.json"), "--config", store});
  run_or_exit({keap_auth, "token", "--config", store}); // fills the cache
  run_or_exit({keap_auth, "token", "--config", uncached});
  run_or_exit({keap_auth, "token", "--config", files});

  auto command = [](std::vector<std::string> words) { return single([words] { return words; }); };
  auto scratch = dir.file("time.out");
  auto file_token = command({keap_auth, "token", "--config", files});
  auto warm = measure_paired(runs, file_token, command({keap_auth, "token", "--config", store}), scratch);
  auto read = measure_paired(runs, file_token, command({keap_auth, "token", "--config", uncached}), scratch);
  auto refresh =
      measure_paired(runs / 5 + 1, command({keap_auth, "refresh", "--force", "--quiet", "--config", files}),
                     command({keap_auth, "refresh", "--force", "--quiet", "--config", store}), scratch, 2, 3);
  emulator.stop();

  std::printf("| case | PostgreSQL store | file store | ratio | peak memory |\n| --- | --- | --- | --- | --- |\n");
  row("`token`, access-token cache warm", warm);
  row("`token` reading the store (store_cache false)", read);
  row("`refresh --force` (lock, exchange, journal, commit)", refresh);
  std::printf("\nMedians of %d pairs (refresh: %d); PostgreSQL 15 and the emulator on 127.0.0.1.\n", runs,
              runs / 5 + 1);
  return 0;
}
