#pragma once

#include "config.hpp"
#include "credentials.hpp"
#include "http_client.hpp"

#include <string>

namespace keap {

/// Where and how to reach the token endpoint.
struct TokenEndpoint {
  Url url;
  TokenAuth auth = TokenAuth::keap;
  std::string client_id;
  std::string client_secret;
  HttpOptions http;
};

enum class Grant { authorization_code, refresh_token };

/// The request of a grant, without sending it. Keap's way (`keap`): the code exchange puts the
/// client credentials in the body and sends no Authorization header (Keap rejects one there); the
/// refresh sends them as HTTP Basic. `client_secret_post` / `client_secret_basic` use one way for both.
HttpRequest code_exchange_request(const TokenEndpoint& endpoint, const std::string& code,
                                  const std::string& redirect_uri, const std::string& code_verifier);
HttpRequest refresh_request(const TokenEndpoint& endpoint, const std::string& refresh_token);

/// RFC 6749 4.1.3: trades an authorization code for a token pair. Throws a classified Error.
TokenResponse exchange_code(const TokenEndpoint& endpoint, const std::string& code, const std::string& redirect_uri,
                            const std::string& code_verifier);

/// RFC 6749 6: trades the refresh token for a new pair (Keap rotates: the old one dies). Retries,
/// a bounded number of times, only what cannot have been processed (the connection was never made)
/// and 429 after Retry-After. Throws a classified Error.
TokenResponse refresh_tokens(const TokenEndpoint& endpoint, const std::string& refresh_token);

/// refresh_tokens() without the interpretation: the raw answer, after the same bounded retries.
HttpResponse send_refresh_request(const TokenEndpoint& endpoint, const std::string& refresh_token);

/// Turns a token-endpoint response into a TokenResponse or a classified Error. Pure.
///  - 200 with access_token, refresh_token and a sane expires_in → the tokens;
///  - code grant: 401 or invalid_client → exit 2 (client credentials); other 4xx → exit 1;
///  - refresh grant: 400 or 401 → exit 4 (the refresh token is dead: log in again); other 4xx → exit 1;
///  - 5xx, 429, and malformed or incomplete 200s → exit 5.
TokenResponse interpret_token_response(const HttpResponse& response, const std::string& endpoint, Grant grant);

} // namespace keap
