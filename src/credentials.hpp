#pragma once

#include "timestamp.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace keap {

/// A successful token-endpoint response (RFC 6749 5.1), already checked for the fields we need.
struct TokenResponse {
  std::string access_token;
  std::string refresh_token;
  std::string token_type;
  std::string scope;
  long long expires_in = 0;
};

/// The credentials file: everything a later refresh needs, like gcloud's authorized_user file.
struct Credentials {
  static constexpr int k_version = 1;
  std::string token_type;
  std::string access_token;
  std::string refresh_token;
  std::string scope;
  std::optional<std::string> app; ///< "ab123" from "full|ab123.infusionsoft.com"; none when absent
  TimePoint expires_at;
  TimePoint obtained_at;
  TimePoint refresh_token_obtained_at;
  std::string client_id;
  std::string client_secret;
  std::string token_url;
};

/// The Keap app a scope names: the part after '|' with ".infusionsoft.com" dropped. Pure.
std::optional<std::string> app_from_scope(std::string_view scope);

/// What the client sent, which the credentials file must remember for refreshing.
struct ClientIdentity {
  std::string client_id;
  std::string client_secret;
  std::string token_url;
};

/// Fresh credentials from a token response that arrived at `received_at`.
Credentials make_credentials(const TokenResponse& response, const ClientIdentity& client, TimePoint received_at);

/// The file's JSON text (pretty, ends with a newline).
std::string serialize_credentials(const Credentials& credentials);

/// Parses a credentials file. Throws Error naming `origin` and the field on malformed JSON, a
/// missing or mistyped field, or a newer `version`. Pure.
Credentials parse_credentials(std::string_view text, const std::string& origin);

} // namespace keap
