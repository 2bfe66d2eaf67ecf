#include "oauth/pkce.hpp"

#include "net/crypto.hpp"
#include "util/encoding.hpp"

namespace keap::oauth {

std::string pkce_challenge(std::string_view code_verifier) { return util::base64url(net::sha256(code_verifier)); }

AuthorizationRequest new_authorization_request(bool pkce) {
  return {net::random_url_safe(32), pkce ? net::random_url_safe(32) : std::string{}};
}

} // namespace keap::oauth
