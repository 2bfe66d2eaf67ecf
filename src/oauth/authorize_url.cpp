#include "oauth/authorize_url.hpp"

namespace keap::oauth {

std::string authorize_url(const util::Url& endpoint, const AuthorizeParameters& parameters,
                          const AuthorizationRequest& request) {
  util::Parameters query{{"client_id", parameters.client_id},
                         {"redirect_uri", parameters.redirect_uri},
                         {"response_type", "code"},
                         {"scope", parameters.scope},
                         {"state", request.state}};
  if (!request.code_verifier.empty()) {
    query.emplace_back("code_challenge", pkce_challenge(request.code_verifier));
    query.emplace_back("code_challenge_method", "S256");
  }
  util::Url url = endpoint;
  url.query = (url.query.empty() ? "" : url.query + "&") + util::form_encode(query);
  return url.to_string();
}

} // namespace keap::oauth
