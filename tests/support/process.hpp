#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace keap::test {

/// A folder under /tmp that is removed with everything in it when it goes, unless the test case has
/// failed by then: it is then kept, and its path printed, for a look at what the processes wrote.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return m_path; }
  std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
  std::string m_path;
};

/// Told by the test runner (support/main.cpp) when a test case starts, and when one of its assertions
/// fails.
void note_test_case_started();
void note_assertion_failed();

void pause_briefly();

/// Polls `condition` until it holds (true) or `timeout` passes (false): waiting for an event that
/// leaves no other trace to wait on.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    pause_briefly();
  }
  return true;
}

/// True when child `pid` holds `path` open itself: it has exec'ed its program (so nothing it holds was
/// inherited from the test between fork and exec) and got as far as opening `path` (a lock file it is
/// waiting on, say).
bool holds_open(pid_t pid, const std::string& path);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content, unsigned mode = 0644);
bool file_exists(const std::string& path);
unsigned file_mode(const std::string& path);

struct ProcessResult {
  int exit_code = -1; ///< -1 when it had to be killed at the timeout
  std::string out;
  std::string err;
};

/// What to change about a child process beyond argv and environment.
struct Limits {
  std::optional<uid_t> user;                    ///< run as this user (when we are root)
  std::optional<unsigned long> file_size_limit; ///< RLIMIT_FSIZE in bytes
  std::optional<unsigned> umask;                ///< the child's umask
};

/// A real child process with stdout and stderr captured to files, an environment built from ours
/// without KEAP_* and BROWSER (so the developer's own settings never leak into a test) plus `env`.
class Process {
public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
          const std::string& cwd = {}, const std::optional<std::string>& stdin_text = std::nullopt,
          const Limits& limits = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  std::string out() const;
  std::string err() const;
  /// Waits until stderr contains `text`; returns false at the timeout.
  bool wait_for_err(const std::string& text, std::chrono::milliseconds timeout) const;
  void send_signal(int signal) const;
  ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool running();
  pid_t pid() const { return m_pid; }

private:
  TempDir m_io;
  pid_t m_pid = -1;
  std::optional<ProcessResult> m_result;
};

ProcessResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                  const std::string& cwd = {}, const std::optional<std::string>& stdin_text = std::nullopt,
                  const Limits& limits = {});

} // namespace keap::test
