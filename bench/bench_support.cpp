#include "bench_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace keap::bench {

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double run_all(const Commands& commands) {
  double total = 0;
  for (const auto& command : commands) {
    total += spawn_and_wait(command.argv, "/dev/null", command.stdout_file);
  }
  return total;
}

/// The largest peak of the case's commands, median of `runs` runs.
long peak(const Case& prepare, const std::string& scratch, int runs) {
  std::vector<long> peaks;
  for (int run = 0; run < runs; ++run) {
    long largest = 0;
    for (const auto& command : prepare()) {
      largest = std::max(largest, peak_kib(command.argv, scratch));
    }
    peaks.push_back(largest);
  }
  std::sort(peaks.begin(), peaks.end());
  return peaks[peaks.size() / 2];
}

} // namespace

double spawn_and_wait(const std::vector<std::string>& command, const std::string& output,
                      const std::string& stdout_file) {
  std::vector<char*> argv;
  for (const auto& word : command) {
    argv.push_back(const_cast<char*>(word.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
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
    std::string words;
    for (const auto& word : command) {
      words += " " + word;
    }
    std::fprintf(stderr, "bench:%s failed (status %d); its stderr is in %s\n", words.c_str(), status, output.c_str());
    std::exit(1);
  }
  return std::chrono::duration<double, std::micro>(elapsed).count();
}

long peak_kib(const std::vector<std::string>& command, const std::string& scratch) {
  std::vector<std::string> timed{"/usr/bin/time", "-f", "%M"};
  timed.insert(timed.end(), command.begin(), command.end());
  spawn_and_wait(timed, scratch);
  std::ifstream stream(scratch);
  long kib = 0;
  stream >> kib;
  return kib;
}

Case single(std::function<std::vector<std::string>()> prepare) {
  return [prepare] { return Commands{{prepare()}}; };
}

Pair measure_paired(int runs, const Case& floor, const Case& measured, const std::string& scratch, int warm_up,
                    int peak_runs) {
  std::vector<double> floor_times, measured_times;
  for (int run = -warm_up; run < runs; ++run) {
    auto floor_us = run_all(floor());
    auto measured_us = run_all(measured());
    if (run >= 0) {
      floor_times.push_back(floor_us);
      measured_times.push_back(measured_us);
    }
  }
  return {{median(floor_times), peak(floor, scratch, peak_runs)},
          {median(measured_times), peak(measured, scratch, peak_runs)}};
}

/// One request on a kept-alive connection, read to the end of its body; false unless a 200 came.
bool ask(int fd, const std::string& request, std::string& buffer) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    return false;
  }
  buffer.clear();
  char chunk[16384];
  for (;;) {
    auto head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      auto at = buffer.find("ontent-Length: ");
      if (at == std::string::npos) {
        at = buffer.find("ontent-length: ");
      }
      auto length = at == std::string::npos ? 0 : std::strtoul(buffer.c_str() + at + 15, nullptr, 10);
      if (buffer.size() >= head_end + 4 + length) {
        return buffer.compare(0, 12, "HTTP/1.1 200") == 0;
      }
    }
    auto count = ::read(fd, chunk, sizeof chunk);
    if (count <= 0) {
      return false;
    }
    buffer.append(chunk, static_cast<size_t>(count));
  }
}

double percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(fraction * static_cast<double>(values.size() - 1))];
}

long status_kib(pid_t pid, const char* field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      return std::atol(line.c_str() + std::strlen(field));
    }
  }
  return 0;
}

} // namespace keap::bench
