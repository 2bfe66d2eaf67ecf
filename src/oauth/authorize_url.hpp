#pragma once

#include "oauth/pkce.hpp"
#include "util/url.hpp"

#include <string>

namespace keap::oauth {

/// The parameters of the authorization request the browser is sent to.
struct AuthorizeParameters {
  std::string client_id;
  std::string redirect_uri; ///< sent exactly as configured: servers compare it as a string
  std::string scope;
};

/// The authorize URL: endpoint plus client_id, redirect_uri, response_type=code, scope, state and,
/// with PKCE, code_challenge + code_challenge_method=S256. Keeps any query the endpoint already has.
std::string authorize_url(const util::Url& endpoint, const AuthorizeParameters& parameters,
                          const AuthorizationRequest& request);

} // namespace keap::oauth
