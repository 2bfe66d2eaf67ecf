#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

/// Reading what a person types or pastes, without ever waiting past a deadline.
namespace keap::cli {

/// Lines from stdin, read as they come. next() waits at most until `deadline`. A line longer than
/// k_longest_line (no answer anyone pastes is) is Error, exit 2.
class StdinLines {
public:
  enum class Status { line, ended, timed_out };

  /// A line (without its end) when one is complete by `deadline`; `ended` at end of input (or when stdin
  /// cannot be read), after which it is never read again.
  Status next(std::chrono::steady_clock::time_point deadline, std::string& line);

  bool ended() const { return m_ended; }

private:
  std::string m_buffer;
  bool m_ended = false;
};

/// The longest line StdinLines reads: a pasted address is a few hundred bytes.
inline constexpr size_t k_longest_line = 64 * 1024;

/// All of stdin, up to `limit` bytes; Error (exit 2) naming `what` (the flag) when there is more.
std::string read_stdin(const std::string& what, size_t limit);

/// A secret (an API key, a rejected token) from stdin: one line with its blanks trimmed, and the first of
/// `prefixes` it starts with removed, never echoed at a terminal. Error (exit 2) naming `what` when stdin holds
/// nothing, more than one line, blanks inside, or more than 64 KiB.
std::string read_secret(const std::string& what, const std::vector<std::string>& prefixes = {});

} // namespace keap::cli
