#pragma once

#include <memory>
#include <stdexcept>
#include <string>

namespace keap {

/// The process exit codes, documented in README.md; scripts depend on them, so they never change.
enum class ExitCode : int {
  ok = 0,
  failure = 1,       ///< anything not covered below
  usage = 2,         ///< bad flags, bad configuration, rejected client credentials
  denied = 3,        ///< the user denied access, or the login timed out
  relogin = 4,       ///< the credentials cannot be used or refreshed: run `keap-auth login`
  unavailable = 5,   ///< network, TLS or server failure; trying again later may work
  api_refused = 6,   ///< `api`: Keap answered 4xx (other than a credential it will not take)
  rate_limited = 7,  ///< `api`: still rate limited after the retries, or the day's quota is used up
  interrupted = 130, ///< Ctrl-C or SIGTERM, as shells report it
  broken_pipe = 141, ///< stdout's reader went away (`| head`): quietly, as SIGPIPE ends other programs
};

/// The exit code's name in --json: "relogin", "unavailable", ...
inline const char* exit_class(ExitCode code) {
  switch (code) {
  case ExitCode::ok:
    return "ok";
  case ExitCode::failure:
    return "failure";
  case ExitCode::usage:
    return "usage";
  case ExitCode::denied:
    return "denied";
  case ExitCode::relogin:
    return "relogin";
  case ExitCode::unavailable:
    return "unavailable";
  case ExitCode::api_refused:
    return "api_refused";
  case ExitCode::rate_limited:
    return "rate_limited";
  case ExitCode::interrupted:
    return "interrupted";
  case ExitCode::broken_pipe:
    return "broken_pipe";
  }
  return "failure";
}

/// What each exit code means, for --help, the man page and docs/reference.md.
struct ExitCodeMeaning {
  ExitCode code;
  const char* meaning;
};
inline constexpr ExitCodeMeaning k_exit_code_meanings[] = {
    {ExitCode::ok, "success"},
    {ExitCode::failure, "any other error (a sealed value that does not open, stdout that cannot be written, ...)"},
    {ExitCode::usage, "usage or configuration error, a busy port, credentials that cannot be saved"},
    {ExitCode::denied, "access denied in the browser, or no answer in time"},
    {ExitCode::relogin, "a login is needed: no credentials, or a refresh token Keap rejected"},
    {ExitCode::unavailable, "network, TLS or server failure, a database that cannot be reached, a lock held too long"},
    {ExitCode::api_refused, "api: Keap refused the request (4xx)"},
    {ExitCode::rate_limited, "api: rate limited, or the day's quota is used up"},
    {ExitCode::interrupted, "interrupted (Ctrl-C, SIGTERM), after any refresh already sent was saved"},
    {ExitCode::broken_pipe, "stdout's reader went away (`| head`): a listing ends quietly"},
};

/// Something secret that an error must carry but never print in its message: the only copy of a
/// rotated token pair that could be saved nowhere. Only the top level shows it, and only to a person
/// at a terminal; logs, --json and summaries never see it.
struct Sensitive {
  std::string label; ///< what it is, e.g. "the new credentials"
  std::string text;
};

/// The one error type that ends a command. It carries the exit code, a message naming what was wrong,
/// and optionally a hint saying what to do. Messages and hints never contain a secret.
class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

  ExitCode code() const { return m_code; }
  const std::string& hint() const { return m_hint; }
  const Sensitive* sensitive() const { return m_sensitive.get(); }
  /// Text shown under the message (a server's error body), never in --json's error object.
  const std::string& details() const { return m_details; }
  /// True when stdout already holds the command's one JSON answer (api --envelope), so no error object
  /// is printed there too.
  bool answered_on_stdout() const { return m_answered_on_stdout; }
  /// The rescue file that holds what could not be saved where it belonged, if any (also in the message).
  const std::string& rescue_file() const { return m_rescue_file; }

  /// This error with `sensitive` attached (see Sensitive).
  Error with_sensitive(Sensitive sensitive) const {
    Error copy = *this;
    copy.m_sensitive = std::make_shared<const Sensitive>(std::move(sensitive));
    return copy;
  }

  Error with_details(std::string details, bool answered_on_stdout = false) const {
    Error copy = *this;
    copy.m_details = std::move(details);
    copy.m_answered_on_stdout = answered_on_stdout;
    return copy;
  }

  Error with_rescue_file(std::string path) const {
    Error copy = *this;
    copy.m_rescue_file = std::move(path);
    return copy;
  }

  /// The same error with another hint.
  Error with_hint(std::string hint) const {
    Error copy = *this;
    copy.m_hint = std::move(hint);
    return copy;
  }

private:
  ExitCode m_code;
  std::string m_hint;
  std::shared_ptr<const Sensitive> m_sensitive;
  std::string m_details;
  std::string m_rescue_file;
  bool m_answered_on_stdout = false;
};

} // namespace keap
