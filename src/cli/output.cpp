#include "cli/output.hpp"

#include "util/posix_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace keap::cli {

namespace {

/// Set once, before any thread starts, by guard_standard_streams().
bool g_stdout_was_closed = false;

} // namespace

void write_stderr(const std::string& text) {
  // Nothing more can be done when stderr itself fails.
  (void)util::write_all(STDERR_FILENO, text);
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
    throw Error(ExitCode::failure, "standard output is closed, so nothing could be printed",
                "run keap-auth with stdout open (or redirect it to a file)");
  }
  if (!util::write_all(STDOUT_FILENO, text)) {
    int error = errno;
    throw Error(ExitCode::failure, std::string("cannot write to standard output: ") + std::strerror(error),
                error == ENOSPC ? "the disk behind stdout is full" : "");
  }
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

} // namespace keap::cli
