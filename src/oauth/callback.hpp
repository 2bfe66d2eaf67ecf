#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keap::oauth {

/// What the authorization server sent back to the redirect URI.
struct Callback {
  std::optional<std::string> state;
  std::optional<std::string> code;
  std::optional<std::string> error;
  std::optional<std::string> error_description;
  /// Set when the query is unusable: malformed escapes or a parameter given twice (RFC 6749 3.1
  /// forbids repeats, and a repeated code or state is how a forged request would try to confuse us).
  std::optional<std::string> problem;
};

/// Parses a redirect's query string. Unknown parameters (iss, scope, ...) are ignored. Pure.
Callback parse_callback(std::string_view query);

/// "the authorization server answered error=access_denied (User denied access)", escaped for a terminal.
std::string describe_callback_error(const Callback& callback);

/// What a person pasted for `login --finish`: the address the browser landed on (or its query), or a
/// bare code.
struct PastedAnswer {
  std::optional<Callback> callback;
  std::optional<std::string> code;
  std::optional<std::string> problem;
};

/// Parses a pasted answer; surrounding white space is ignored. Pure.
PastedAnswer parse_pasted_answer(std::string_view text);

} // namespace keap::oauth
