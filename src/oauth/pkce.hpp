#pragma once

#include <string>
#include <string_view>

/// The secrets of one authorization attempt (RFC 6749 10.12 state, RFC 7636 PKCE).
namespace keap::oauth {

/// RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier))).
std::string pkce_challenge(std::string_view code_verifier);

/// The state that binds the browser's answer to this process, and the PKCE verifier (empty when PKCE
/// is off) that binds the code to it.
struct AuthorizationRequest {
  std::string state;
  std::string code_verifier;
};

/// A fresh request: 256-bit state, and a 256-bit (43-character) verifier when `pkce` is true.
AuthorizationRequest new_authorization_request(bool pkce);

} // namespace keap::oauth
