#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keap::util {

/// An absolute http(s) URL, split into the parts keap-auth acts on. `host` never has brackets.
struct Url {
  std::string scheme; ///< "http" or "https", lower case
  std::string host;   ///< lower case; an IPv6 literal without its brackets
  int port = 0;       ///< explicit port, or the scheme's default
  bool explicit_port = false;
  std::string path;  ///< starts with "/"
  std::string query; ///< without the "?"

  /// host:port as it goes in a Host header or URL (IPv6 in brackets, default port omitted).
  std::string authority() const;
  /// scheme://authority, what an HTTP client connects to.
  std::string origin() const;
  /// The whole URL with `port` as given (used once an ephemeral port is known).
  std::string to_string() const;
  /// origin() + path: how messages name an endpoint (a query may carry secrets).
  std::string without_query() const { return origin() + path; }
};

/// Parses an absolute http or https URL. Returns nothing for anything else: relative references,
/// other schemes, user info, fragments, bad ports.
std::optional<Url> parse_url(std::string_view text);

/// True for "localhost", 127.0.0.0/8 and ::1: hosts whose traffic never leaves the machine.
bool is_loopback_host(std::string_view host);

/// True when a secret may be sent to `url`: https, or plain http to a loopback host (the emulator), where
/// the traffic never crosses a network.
bool keeps_secrets_private(const Url& url);

/// Percent-encodes everything but RFC 3986's unreserved characters.
std::string percent_encode(std::string_view text);

/// Decodes %XX escapes (and '+' as space, as forms do). Returns nothing on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

using Parameters = std::vector<std::pair<std::string, std::string>>;

/// application/x-www-form-urlencoded serialisation, also used for query strings.
std::string form_encode(const Parameters& parameters);

/// Parses a query string or form body. Returns nothing when an escape is malformed.
std::optional<Parameters> parse_form(std::string_view text);

/// The first value of `name` in `parameters`, or nothing.
std::optional<std::string> find_parameter(const Parameters& parameters, std::string_view name);

/// The same, or "" when it is absent (for checks where absent and empty are one refusal).
std::string parameter_or_empty(const Parameters& parameters, std::string_view name);

} // namespace keap::util
