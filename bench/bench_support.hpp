#pragma once

// What every benchmark here shares: spawning a program and timing it, GNU time's peak memory, and
// pairing a case with its floor. Not a test: nothing is asserted.
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace keap::bench {

/// Runs `command` (stdout to `stdout_file`, stderr to `output`) and returns the wall time in µs; exits
/// the benchmark when it fails.
double spawn_and_wait(const std::vector<std::string>& command, const std::string& output = "/dev/null",
                      const std::string& stdout_file = "/dev/null");

/// Peak resident memory of one run of `command`, in KiB, as GNU time measures it.
long peak_kib(const std::vector<std::string>& command, const std::string& scratch);

struct Result {
  double median_us = 0;
  long median_peak_kib = 0;
};

struct Pair {
  Result floor;
  Result measured;
};

/// One program of a case, and where its stdout goes.
struct Command {
  std::vector<std::string> argv;
  std::string stdout_file = "/dev/null";
};

/// The commands of one case, run one after the other (a floor may be two programs, as a script runs
/// them); the function prepares each run, untimed.
using Commands = std::vector<Command>;
using Case = std::function<Commands()>;

Case single(std::function<std::vector<std::string>()> prepare);

/// Runs the floor and the case alternately, `runs` times after `warm_up` pairs, then each a few more
/// times under GNU time for the peak memory (`peak_runs`).
Pair measure_paired(int runs, const Case& floor, const Case& measured, const std::string& scratch, int warm_up = 5,
                    int peak_runs = 15);

/// One request on a kept-alive connection, read to the end of its body (Content-Length in any case);
/// false unless a 200 came.
bool ask(int fd, const std::string& request, std::string& buffer);

/// The value at `fraction` (0.5: the median) of `values`.
double percentile(std::vector<double> values, double fraction);

/// A field of /proc/PID/status in KiB ("VmRSS:", "VmHWM:"), or 0.
long status_kib(pid_t pid, const char* field);

} // namespace keap::bench
