#pragma once

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

/// The one error type that ends a command. It carries the exit code, a message naming what was wrong,
/// and optionally a hint saying what to do. Messages never contain a secret.
class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

  ExitCode code() const { return m_code; }
  const std::string& hint() const { return m_hint; }

private:
  ExitCode m_code;
  std::string m_hint;
};

} // namespace keap
