#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keap {

/// How the client authenticates at the token endpoint.
enum class TokenAuth {
  keap,                ///< Keap's documented mix: secret in the body for the code, HTTP Basic for refresh
  client_secret_post,  ///< RFC 6749 2.3.1, credentials in the body for every grant
  client_secret_basic, ///< RFC 6749 2.3.1, HTTP Basic for every grant
};

inline constexpr const char* k_token_auth_names[] = {"keap", "client_secret_post", "client_secret_basic"};

inline std::string token_auth_name(TokenAuth auth) { return k_token_auth_names[static_cast<int>(auth)]; }

inline std::optional<TokenAuth> parse_token_auth(std::string_view name) {
  for (int i = 0; i < 3; ++i) {
    if (name == k_token_auth_names[i]) {
      return static_cast<TokenAuth>(i);
    }
  }
  return std::nullopt;
}

} // namespace keap
