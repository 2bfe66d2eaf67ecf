// Times `keap-auth token` against its floors, as README.md reports:
//   hot path (valid token)   vs  `cat` of the same file (starting a process that reads it)
//   refresh path (expired)   vs  one `curl` POST of the same refresh to the same local emulator
// plus `keap-auth status`, which loads the full program, to show what the hot path avoids.
// Medians over many runs. Peak memory comes from GNU time's %M in a separate pass: a child spawned
// straight from this (large) process would inherit our RSS high-water mark through exec.
// Not a test: nothing is asserted.
#include "credential_store.hpp"
#include "emulator/server.hpp"

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

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

double spawn_and_wait(const std::vector<std::string>& command, const std::string& output = "/dev/null") {
  std::vector<char*> argv;
  for (const auto& word : command) {
    argv.push_back(const_cast<char*>(word.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    std::perror(argv[0]);
    std::exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto elapsed = std::chrono::steady_clock::now() - start;
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench: %s failed (status %d)\n", argv[0], status);
    std::exit(1);
  }
  return std::chrono::duration<double, std::micro>(elapsed).count();
}

/// Peak resident memory of one run of `command`, in KiB, as GNU time measures it.
long peak_kib(const std::vector<std::string>& command, const std::string& scratch) {
  std::vector<std::string> timed{"/usr/bin/time", "-f", "%M"};
  timed.insert(timed.end(), command.begin(), command.end());
  spawn_and_wait(timed, scratch);
  std::ifstream stream(scratch);
  long kib = 0;
  stream >> kib;
  return kib;
}

struct Result {
  double median_us;
  long median_peak_kib;
};

/// Runs `prepare` (untimed) then the command, `runs` times after a few warm-up runs, then a few
/// more times under GNU time for the peak memory.
Result measure(int runs, const std::function<std::vector<std::string>()>& prepare, const std::string& scratch) {
  std::vector<double> times;
  std::vector<long> peaks;
  for (int run = -5; run < runs; ++run) {
    auto microseconds = spawn_and_wait(prepare());
    if (run >= 0) {
      times.push_back(microseconds);
    }
  }
  for (int run = 0; run < 15; ++run) {
    peaks.push_back(peak_kib(prepare(), scratch));
  }
  std::sort(times.begin(), times.end());
  std::sort(peaks.begin(), peaks.end());
  return {times[times.size() / 2], peaks[peaks.size() / 2]};
}

} // namespace

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
                                               {"token_url", emulator.base_url() + "/token"}}.dump();
  auto mint = [&] {
    auto body = nlohmann::json::parse(state.mint_tokens(keap::now_seconds()).body);
    return keap::TokenResponse{body["access_token"], body["refresh_token"], "bearer", body["scope"],
                               body["expires_in"]};
  };
  auto identity = keap::ClientIdentity{settings.client_id, settings.client_secret, emulator.base_url() + "/token"};
  keap::save_credentials(credentials_file, keap::make_credentials(mint(), identity, keap::now_seconds()));

  std::vector<std::string> token{keap_auth, "token", "--config", config_file};
  auto scratch = folder + "/time.out";
  auto cat = measure(runs, [&] { return std::vector<std::string>{"cat", credentials_file}; }, scratch);
  auto hot = measure(runs, [&] { return token; }, scratch);
  auto full = measure(
      runs, [&] { return std::vector<std::string>{keap_auth, "status", "--config", config_file}; }, scratch);
  auto refresh = measure(runs, [&] {
    auto expired = *keap::load_credentials(credentials_file);
    expired.expires_at = keap::now_seconds() - std::chrono::hours(1);
    keap::save_credentials(credentials_file, expired);
    return token;
  }, scratch);
  auto curl_config = folder + "/curl.conf";
  auto curl = measure(runs, [&] {
    // curl reads the secret and the refresh token from a file, not argv.
    std::ofstream(curl_config) << "silent\nfail\nuser = \"" << settings.client_id << ":" << settings.client_secret
                               << "\"\ndata = \"grant_type=refresh_token&refresh_token=" << mint().refresh_token
                               << "\"\nurl = \"" << emulator.base_url() << "/token\"\n";
    return std::vector<std::string>{"curl", "-K", curl_config, "-o", "/dev/null"};
  }, scratch);
  emulator.stop();
  std::filesystem::remove_all(folder);

  std::printf("| case | median | ratio | peak memory |\n| --- | --- | --- | --- |\n");
  std::printf("| `cat` the credentials file (floor) | %.0f µs | 1.00x | %ld KiB |\n", cat.median_us, cat.median_peak_kib);
  std::printf("| `keap-auth token`, valid token (hot path) | %.0f µs | %.2fx `cat` | %ld KiB |\n", hot.median_us,
              hot.median_us / cat.median_us, hot.median_peak_kib);
  std::printf("| `keap-auth status` (loads the full program) | %.0f µs | %.2fx `cat` | %ld KiB |\n", full.median_us,
              full.median_us / cat.median_us, full.median_peak_kib);
  std::printf("| `curl` POST of one refresh (floor) | %.0f µs | 1.00x | %ld KiB |\n", curl.median_us,
              curl.median_peak_kib);
  std::printf("| `keap-auth token`, expired token (lock, refresh, atomic write) | %.0f µs | %.2fx `curl` | %ld KiB |\n",
              refresh.median_us, refresh.median_us / curl.median_us, refresh.median_peak_kib);
  std::printf("\nMedians of %d runs each after 5 warm-up runs (peak memory: median of 15 runs under GNU time);\n"
              "the emulator on 127.0.0.1.\n", runs);
  return 0;
}
