#pragma once

#include <chrono>
#include <optional>
#include <string>

/// Reading what a person types or pastes, without ever waiting past a deadline.
namespace keap::cli {

/// Lines from stdin, read as they come. next() waits at most until `deadline`.
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

/// A secret (an API key, a rejected token) from stdin: one line with its blanks trimmed, never echoed
/// at a terminal. Error (exit 2) naming `what` when stdin holds nothing, more than one line, blanks
/// inside, or more than 64 KiB.
std::string read_secret(const std::string& what);

} // namespace keap::cli
