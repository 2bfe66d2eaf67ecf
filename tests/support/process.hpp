#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace keap::test {

/// A folder under /tmp that is removed with everything in it when the test ends.
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
