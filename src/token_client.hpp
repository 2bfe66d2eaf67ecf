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

/// RFC 6749 4.1.3: trades an authorization code for a token pair. With `keap` or
/// `client_secret_post` auth the client credentials go in the body and no Authorization header is
/// sent (Keap rejects one on this grant). Throws a classified Error on any failure.
TokenResponse exchange_code(const TokenEndpoint& endpoint, const std::string& code, const std::string& redirect_uri,
                            const std::string& code_verifier);

/// The form body and headers of a code exchange, without sending it (for tests and --verbose).
HttpRequest code_exchange_request(const TokenEndpoint& endpoint, const std::string& code,
                                  const std::string& redirect_uri, const std::string& code_verifier);

/// Turns a token-endpoint response into a TokenResponse or a classified Error. Pure:
/// 200 with access_token, refresh_token and expires_in → ok; 401 or invalid_client → exit 2 (client
/// credentials); other 4xx → exit 1 with the server's error and description; 5xx, 429 and malformed or
/// incomplete 200s → exit 5.
TokenResponse interpret_token_response(const HttpResponse& response, const std::string& endpoint);

} // namespace keap
