#include "term/output.hpp"

#include "util/posix_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace keap::term {

namespace {

/// Set once, before any thread starts, by guard_standard_streams().
bool g_stdout_was_closed = false;

/// The progress line on stderr, shared by every thread that prints: a line printed while it is shown
/// must first erase it and then draw it again below, or the two would mix on one line.
struct Progress {
  std::mutex lock;
  std::string shown; // empty: none on the screen
};

Progress& progress() {
  static Progress instance;
  return instance;
}

bool stderr_is_terminal() {
  static const bool terminal = [] {
    const char* term = std::getenv("TERM");
    return ::isatty(STDERR_FILENO) == 1 && (term == nullptr || std::string_view(term) != "dumb");
  }();
  return terminal;
}

/// The text cut to the terminal's width: a line that wraps can no longer be rewritten with "\r".
std::string fitted(const std::string& text) {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 && text.size() >= size.ws_col) {
    return text.substr(0, size.ws_col - 1);
  }
  return text;
}

constexpr std::string_view k_erase_line = "\r\033[K";

} // namespace

void write_stderr(const std::string& text) {
  auto& state = progress();
  std::lock_guard guard(state.lock);
  // Nothing more can be done when stderr itself fails.
  if (state.shown.empty()) {
    (void)util::write_all(STDERR_FILENO, text);
    return;
  }
  (void)util::write_all(STDERR_FILENO, std::string(k_erase_line) + text + state.shown);
}

void ProgressLine::show(const std::string& text) {
  if (!stderr_is_terminal()) {
    return;
  }
  auto& state = progress();
  std::lock_guard guard(state.lock);
  auto line = fitted("keap-auth: " + text);
  if (line == state.shown) {
    return; // a terminal that is redrawn five times a second for nothing flickers
  }
  state.shown = line;
  (void)util::write_all(STDERR_FILENO, std::string(k_erase_line) + state.shown);
}

ProgressLine::~ProgressLine() {
  auto& state = progress();
  std::lock_guard guard(state.lock);
  if (!state.shown.empty()) {
    (void)util::write_all(STDERR_FILENO, k_erase_line);
    state.shown.clear();
  }
}

void say(const std::string& message) { write_stderr("keap-auth: " + message + "\n"); }

void warn(const std::string& message) { write_stderr("keap-auth: warning: " + message + "\n"); }

void print_error(const Error& error) {
  std::string text = "keap-auth: error: " + std::string(error.what()) + "\n";
  if (!error.details().empty()) {
    text += error.details() + (error.details().ends_with("\n") ? "" : "\n");
  }
  if (!error.hint().empty()) {
    text += "keap-auth: hint: " + error.hint() + "\n";
  }
  if (const auto* sensitive = error.sensitive(); sensitive && ::isatty(STDERR_FILENO) == 1) {
    text +=
        "keap-auth: " + sensitive->label + ", shown only because this is a terminal; copy it now:\n" + sensitive->text;
  }
  write_stderr(text);
}

void print_stdout(const std::string& text) {
  if (g_stdout_was_closed) {
    throw OutputError(ExitCode::failure, "standard output is closed, so nothing could be printed",
                      "run keap-auth with stdout open (or redirect it to a file)");
  }
  if (!util::write_all(STDOUT_FILENO, text)) {
    int error = errno;
    if (error == EPIPE) {
      throw OutputError(ExitCode::broken_pipe, "standard output was closed by its reader");
    }
    throw OutputError(ExitCode::failure, std::string("cannot write to standard output: ") + std::strerror(error),
                      error == ENOSPC ? "the disk behind stdout is full" : "");
  }
}

Error loud_output(const Error& error) {
  if (error.code() != ExitCode::broken_pipe) {
    return error;
  }
  return Error(ExitCode::failure, "cannot write to standard output: its reader closed it (Broken pipe)",
               "the token went nowhere: read the whole line");
}

void guard_standard_streams() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      int null = ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
      if (null >= 0 && null != fd) {
        ::dup2(null, fd);
        ::close(null);
      }
      g_stdout_was_closed = g_stdout_was_closed || fd == STDOUT_FILENO;
    }
  }
}

} // namespace keap::term
