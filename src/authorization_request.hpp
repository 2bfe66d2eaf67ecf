#pragma once

#include "url.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace keap {

/// `bytes` bytes from OpenSSL's CSPRNG, base64url-encoded without padding. Throws Error if the
/// generator fails (it never silently falls back to anything weaker).
std::string random_url_safe(size_t bytes);

/// Base64url without padding (RFC 4648 section 5), as PKCE and state use.
std::string base64url(std::string_view bytes);

/// RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier))).
std::string pkce_challenge(std::string_view code_verifier);

/// The secrets of one authorization attempt: the state that binds the browser's answer to this
/// process, and the PKCE verifier (empty when PKCE is off).
struct AuthorizationRequest {
  std::string state;
  std::string code_verifier;
};

/// A fresh request: 256-bit state, and a 256-bit (43-character) verifier when `pkce` is true.
AuthorizationRequest new_authorization_request(bool pkce);

/// The parameters of the authorization request the browser is sent to.
struct AuthorizeParameters {
  std::string client_id;
  std::string redirect_uri;
  std::string scope;
};

/// The authorize URL: endpoint plus client_id, redirect_uri, response_type=code, scope, state and,
/// with PKCE, code_challenge + code_challenge_method=S256. Keeps any query the endpoint already has.
std::string authorize_url(const Url& endpoint, const AuthorizeParameters& parameters,
                          const AuthorizationRequest& request);

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

/// What a person pasted for `login --finish`: the address the browser landed on (or its query), or a
/// bare code.
struct PastedAnswer {
  std::optional<Callback> callback;
  std::optional<std::string> code;
  std::optional<std::string> problem;
};

/// Parses a pasted answer; surrounding white space is ignored. Pure.
PastedAnswer parse_pasted_answer(std::string_view text);

/// Constant-time comparison, so a forged state cannot be guessed byte by byte from timing.
bool same_secret(std::string_view left, std::string_view right);

} // namespace keap
