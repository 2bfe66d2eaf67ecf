#include "cli/input.hpp"

#include "core/error.hpp"
#include "term/output.hpp"
#include "util/signals.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace keap::cli {

StdinLines::Status StdinLines::next(std::chrono::steady_clock::time_point deadline, std::string& line) {
  for (;;) {
    if (auto end = m_buffer.find('\n'); end != std::string::npos) {
      line = m_buffer.substr(0, end);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      m_buffer.erase(0, end + 1);
      return Status::line;
    }
    if (m_ended) {
      if (!m_buffer.empty()) { // a last line without its newline
        line = std::exchange(m_buffer, {});
        return Status::line;
      }
      return Status::ended;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd input{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&input, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      return Status::timed_out;
    }
    char buffer[4096];
    ssize_t count = ready < 0 ? -1 : ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      m_ended = true;
      continue;
    }
    m_buffer.append(buffer, static_cast<size_t>(count));
    if (m_buffer.size() > k_longest_line && m_buffer.find('\n') == std::string::npos) {
      m_ended = true;
      throw Error(ExitCode::usage, "stdin gave a line longer than 64 KiB, which no pasted address or code is",
                  "paste only the address the browser landed on");
    }
  }
}

namespace {

constexpr size_t k_longest_secret = 64 * 1024;

/// Turns the terminal's echo off while it lives, so a pasted key is not left on the screen.
class EchoOff {
public:
  EchoOff() : m_active(::tcgetattr(STDIN_FILENO, &m_saved) == 0) {
    if (m_active) {
      m_restore.emplace(STDIN_FILENO, m_saved);
      auto quiet = m_saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      m_active = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (m_active) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &m_saved);
      term::write_stderr("\n");
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

private:
  termios m_saved{};
  bool m_active;
  std::optional<util::RestoreTerminalOnInterrupt> m_restore; ///< Ctrl-C while hidden puts echo back too
};

} // namespace

std::string read_stdin(const std::string& what, size_t limit) {
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t count = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      return text;
    }
    text.append(buffer, static_cast<size_t>(count));
    if (text.size() > limit) {
      throw Error(ExitCode::usage,
                  what + ": stdin holds more than " + std::to_string(limit / 1024) + " KiB, more than it can take",
                  "give only what belongs there");
    }
  }
}

std::string read_secret(const std::string& what, const std::vector<std::string>& prefixes) {
  std::string text;
  if (::isatty(STDIN_FILENO) == 1) {
    term::say("paste " + what + " and press Enter (it is not shown):");
    EchoOff hidden;
    StdinLines lines;
    lines.next(std::chrono::steady_clock::now() + std::chrono::minutes(10), text);
  } else {
    text = read_stdin(what, k_longest_secret);
  }
  auto first = text.find_first_not_of(" \t\r\n");
  auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  for (const auto& prefix : prefixes) {
    if (text.starts_with(prefix)) {
      text.erase(0, prefix.size());
      break;
    }
  }
  if (text.empty()) {
    throw Error(ExitCode::usage, "stdin held no " + what, "pipe it in, e.g. `keap-auth ... - < FILE`");
  }
  if (text.find_first_of(" \t\r\n") != std::string::npos) {
    throw Error(ExitCode::usage, what + " on stdin has blanks or line breaks inside",
                "give only the secret, on one line");
  }
  return text;
}

} // namespace keap::cli
