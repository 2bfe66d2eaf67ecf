// Times keap-auth over many profiles, as README.md reports:
//   `list` of 1,000 profiles            vs  `cat` of the same 1,000 files (one process reading them)
//   `refresh --all` of 1,000 profiles   vs  one `curl` process POSTing the same 1,000 refreshes
// against a seeded in-process emulator. Paired runs, medians; nothing is asserted.
#include "bench_support.hpp"
#include "emulator/server.hpp"
#include "oauth/token_client.hpp"
#include "util/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace keap::bench;

namespace {

struct Fleet {
  keap::emulator::Server& emulator;
  keap::emulator::Settings settings;
  std::string folder;
  int size;

  keap::oauth::TokenResponse mint() const {
    auto body = nlohmann::json::parse(emulator.state().mint_tokens(keap::util::now_seconds()).body);
    return {body["access_token"], body["refresh_token"], "bearer", body["scope"], body["expires_in"]};
  }
  std::string file(int i) const { return folder + "/creds/p" + std::to_string(i) + ".json"; }

  void seed() const {
    keap::oauth::TokenEndpoint client{*keap::util::parse_url(emulator.base_url() + "/token"), keap::TokenAuth::keap,
                                      settings.client_id, settings.client_secret};
    for (int i = 0; i < size; ++i) {
      keap::util::write_file_atomically(file(i), keap::serialize_credential(keap::oauth::grant_from_response(
                                                     mint(), client, keap::util::now_seconds())));
    }
  }

  /// A curl config that POSTs `size` refreshes of freshly minted tokens, one after the other, in one process.
  std::string curl_config() const {
    auto path = folder + "/curl.conf";
    std::ofstream out(path);
    for (int i = 0; i < size; ++i) {
      out << "silent\nfail\noutput = \"/dev/null\"\nuser = \"" << settings.client_id << ":" << settings.client_secret
          << "\"\ndata = \"grant_type=refresh_token&refresh_token=" << mint().refresh_token << "\"\nurl = \""
          << emulator.base_url() << "/token\"\n"
          << (i + 1 < size ? "next\n" : "");
    }
    return path;
  }
};

void row(const char* name, const Result& result, const Result& floor, const char* floor_name) {
  std::printf("| %s | %.1f ms | %.2fx %s | %ld KiB |\n", name, result.median_us / 1000,
              result.median_us / floor.median_us, floor_name, result.median_peak_kib);
}

void floor_row(const char* name, const Result& floor) {
  std::printf("| %s (floor) | %.1f ms | 1.00x | %ld KiB |\n", name, floor.median_us / 1000, floor.median_peak_kib);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_profiles KEAP_AUTH_BINARY [PROFILES]\n");
    return 2;
  }
  std::string keap_auth = argv[1];
  int size = argc > 2 ? std::atoi(argv[2]) : 1000;
  keap::emulator::Settings settings;
  settings.client_id = "bench-client";
  settings.client_secret = "bench-secret";
  keap::emulator::Server emulator(settings, 0);
  emulator.start();
  char pattern[] = "/tmp/keap-auth-bench-XXXXXX";
  Fleet fleet{emulator, settings, ::mkdtemp(pattern), size};
  std::filesystem::create_directory(fleet.folder + "/creds");
  auto config = fleet.folder + "/keap-auth.json";
  std::ofstream(config)
      << nlohmann::json{{"credentials_dir", "creds"}, {"token_url", emulator.base_url() + "/token"}}.dump();
  fleet.seed();
  auto scratch = fleet.folder + "/time.out";

  auto cat = single([&] {
    std::vector<std::string> command{"cat"};
    for (int i = 0; i < size; ++i) {
      command.push_back(fleet.file(i));
    }
    return command;
  });
  auto list = measure_paired(15, cat, single([&] {
                               return std::vector<std::string>{keap_auth, "list", "--config", config};
                             }),
                             scratch, 2, 3);
  auto curl = single([&] { return std::vector<std::string>{"curl", "-K", fleet.curl_config()}; });
  auto refresh_all = [&](const char* jobs) {
    return single([&, jobs] {
      return std::vector<std::string>{keap_auth, "refresh", "--all", "--jobs", jobs, "--quiet", "--config", config};
    });
  };
  auto one_at_a_time = measure_paired(3, curl, refresh_all("1"), scratch, 1, 1);
  auto four = measure_paired(3, curl, refresh_all("4"), scratch, 1, 1);
  emulator.stop();
  std::filesystem::remove_all(fleet.folder);

  std::printf("| case (%d profiles) | median | ratio | peak memory |\n| --- | --- | --- | --- |\n", size);
  floor_row("`cat` of every credentials file", list.floor);
  row("`keap-auth list`", list.measured, list.floor, "`cat`");
  floor_row("one `curl` POSTing every refresh", one_at_a_time.floor);
  row("`keap-auth refresh --all` (lock, refresh, fsync each)", one_at_a_time.measured, one_at_a_time.floor, "`curl`");
  row("`keap-auth refresh --all --jobs 4`", four.measured, four.floor, "`curl`");
  std::printf("\n`list`: medians of 15 pairs; `refresh --all`: medians of 3 pairs (peak memory: one run under GNU "
              "time); the emulator on 127.0.0.1.\n");
  return 0;
}
