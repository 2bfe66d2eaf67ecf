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
  interrupted = 130, ///< Ctrl-C or SIGTERM, as shells report it
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

  /// This error with `sensitive` attached (see Sensitive).
  Error with_sensitive(Sensitive sensitive) const {
    Error copy = *this;
    copy.m_sensitive = std::make_shared<const Sensitive>(std::move(sensitive));
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
};

} // namespace keap
