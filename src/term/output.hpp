#pragma once

#include "core/error.hpp"

#include <string>

/// The only place that prints. Human text goes to stderr with a "keap-auth:" prefix; machine output
/// (--json, tokens) goes to stdout through print_stdout(), which fails loudly when it cannot write.
namespace keap::term {

void say(const std::string& message);
/// `text` on stderr as it is, without the prefix.
void write_stderr(const std::string& text);
void warn(const std::string& message);

/// A status line for long work on a terminal ("waiting for the browser: 4m 10s left", "3/40 done"): it
/// rewrites itself in place, and lines printed meanwhile appear above it. When stderr is not a
/// terminal, or TERM is "dumb", it shows nothing at all, so a log, a pipe or cron's mail never gets a
/// control character. keap-auth prints no colour anywhere, so NO_COLOR has nothing to turn off.
class ProgressLine {
public:
  ProgressLine() = default;
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void show(const std::string& text);
};

/// "keap-auth: error: …" and "keap-auth: hint: …". The Sensitive part, if any, is shown only when stderr
/// is a terminal: a person can still save it; a log never sees it.
void print_error(const Error& error);

/// Standard output could not take what was printed: closed, full, or its reader gone.
class OutputError : public Error {
public:
  using Error::Error;
};

/// Writes all of `text` to stdout. Throws Error (exit 1) when it cannot: a token printed into a full disk
/// must not look like a success. A reader that went away (`| head`) is exit 141, which most commands end
/// with quietly, as head expects; `token` says it loudly (loud_output()).
void print_stdout(const std::string& text);

/// The same error said loudly, exit 1: for a token that went nowhere.
Error loud_output(const Error& error);

/// Makes sure descriptors 0, 1 and 2 are open before anything else opens a file: a process started
/// with stdout closed would otherwise print its token into the first file it opens. A closed one is
/// pointed at /dev/null and remembered, so print_stdout() still reports that nothing reached stdout.
void guard_standard_streams();

} // namespace keap::term
