// Times `keap-auth token` and `keap-auth api` against their floors, as README.md reports:
//   hot path (valid token)   vs  `cat` of the same file (starting a process that reads it)
//   refresh path (expired)   vs  one `curl` POST of the same refresh to the same local emulator
//   `api v1/contacts`        vs  `keap-auth token` then `curl` with that token (what a script does)
// plus `keap-auth status`, which execs the full program, to show what the hot path avoids.
// Each case runs paired with its floor (floor, case, floor, case, ...), so a machine that slows down
// or speeds up during the run moves both alike; medians over many runs. Peak memory comes from GNU
// time's %M in a separate pass: a child spawned straight from this (large) process would inherit our
// RSS high-water mark through exec. Not a test: nothing is asserted.
#include "bench_support.hpp"
#include "emulator/server.hpp"
#include "oauth/token_client.hpp"
#include "store/file_store.hpp"
#include "util/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

using namespace keap::bench;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_token KEAP_AUTH_BINARY [RUNS]\n");
    return 2;
  }
  std::string keap_auth = argv[1];
  int runs = argc > 2 ? std::atoi(argv[2]) : 200;

  keap::emulator::Settings settings;
  settings.client_id = "bench-client";
  settings.client_secret = "bench-secret";
  keap::emulator::Server emulator(settings, 0);
  emulator.start();
  auto& state = emulator.state();

  char folder_pattern[] = "/tmp/keap-auth-bench-XXXXXX";
  std::string folder = ::mkdtemp(folder_pattern);
  auto credentials_file = folder + "/keap-credentials.json";
  auto config_file = folder + "/keap-auth.json";
  std::ofstream(config_file) << nlohmann::json{{"credentials_file", credentials_file},
                                               {"token_url", emulator.base_url() + "/token"},
                                               {"api_base_url", emulator.base_url() + "/crm/rest"}}
                                    .dump();
  auto mint = [&] {
    auto body = nlohmann::json::parse(state.mint_tokens(keap::util::now_seconds()).body);
    return keap::oauth::TokenResponse{body["access_token"], body["refresh_token"], "bearer", body["scope"],
                                      body["expires_in"]};
  };
  keap::oauth::TokenEndpoint client{*keap::util::parse_url(emulator.base_url() + "/token"), keap::TokenAuth::keap,
                                    settings.client_id, settings.client_secret};
  auto save = [&](const keap::OAuthGrant& grant) {
    keap::util::write_file_atomically(credentials_file, keap::serialize_credential(grant));
  };
  save(keap::oauth::grant_from_response(mint(), client, keap::util::now_seconds()));

  std::vector<std::string> token{keap_auth, "token", "--config", config_file};
  auto scratch = folder + "/time.out";
  auto cat = single([&] { return std::vector<std::string>{"cat", credentials_file}; });
  auto hot = measure_paired(runs, cat, single([&] { return token; }), scratch);
  auto full = measure_paired(runs, cat, single([&] {
                               return std::vector<std::string>{keap_auth, "status", "--config", config_file};
                             }),
                             scratch);
  auto curl_config = folder + "/curl.conf";
  auto curl = single([&] {
    // curl reads the secret and the refresh token from a file, not argv.
    std::ofstream(curl_config) << "silent\nfail\nuser = \"" << settings.client_id << ":" << settings.client_secret
                               << "\"\ndata = \"grant_type=refresh_token&refresh_token=" << mint().refresh_token
                               << "\"\nurl = \"" << emulator.base_url() << "/token\"\n";
    return std::vector<std::string>{"curl", "-K", curl_config, "-o", "/dev/null"};
  });
  auto refresh = measure_paired(runs, curl, single([&] {
                                  auto loaded = keap::store::read_credentials_file(credentials_file);
                                  auto expired = std::get<keap::OAuthGrant>(loaded->credential);
                                  expired.expires_at = keap::util::now_seconds() - std::chrono::hours(1);
                                  save(expired);
                                  return token;
                                }),
                                scratch);

  // A script's way: keap-auth token prints the header into a file, curl sends it (from a config file,
  // not argv) to the same endpoint keap-auth api calls.
  save(keap::oauth::grant_from_response(mint(), client, keap::util::now_seconds()));
  auto url = emulator.base_url() + "/crm/rest/v1/contacts?limit=1";
  auto header_file = folder + "/header.txt";
  auto api_curl_config = folder + "/api-curl.conf";
  std::ofstream(api_curl_config) << "silent\nfail\nheader = @" << header_file
                                 << "\nheader = \"Accept: application/json\"\nurl = \"" << url << "\"\n";
  auto token_then_curl = [&] {
    return Commands{{{keap_auth, "token", "--header", "--config", config_file}, header_file},
                    {{"curl", "-K", api_curl_config, "-o", "/dev/null"}}};
  };
  auto api = measure_paired(runs, token_then_curl, single([&] {
                              return std::vector<std::string>{keap_auth, "api",      "v1/contacts", "-q",
                                                              "limit=1", "--config", config_file};
                            }),
                            scratch);
  emulator.stop();
  std::filesystem::remove_all(folder);

  auto row = [](const char* name, const Result& result, const Result& floor, const char* floor_name) {
    std::printf("| %s | %.0f µs | %.2fx %s | %ld KiB |\n", name, result.median_us, result.median_us / floor.median_us,
                floor_name, result.median_peak_kib);
  };
  std::printf("| case | median | ratio | peak memory |\n| --- | --- | --- | --- |\n");
  std::printf("| `cat` the credentials file (floor) | %.0f µs | 1.00x | %ld KiB |\n", hot.floor.median_us,
              hot.floor.median_peak_kib);
  row("`keap-auth token`, valid token (hot path)", hot.measured, hot.floor, "`cat`");
  row("`keap-auth status` (execs the full program)", full.measured, full.floor, "`cat`");
  std::printf("| `curl` POST of one refresh (floor) | %.0f µs | 1.00x | %ld KiB |\n", refresh.floor.median_us,
              refresh.floor.median_peak_kib);
  row("`keap-auth token`, expired token (lock, refresh, atomic write)", refresh.measured, refresh.floor, "`curl`");
  std::printf("| `keap-auth token --header` then `curl` (floor) | %.0f µs | 1.00x | %ld KiB |\n", api.floor.median_us,
              api.floor.median_peak_kib);
  row("`keap-auth api v1/contacts -q limit=1`", api.measured, api.floor, "token + `curl`");
  std::printf(
      "\nEach case paired with its floor, medians of %d pairs after 5 warm-up pairs (peak memory: median of 15\n"
      "runs under GNU time); the emulator on 127.0.0.1.\n",
      runs);
  return 0;
}
