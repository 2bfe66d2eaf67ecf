#pragma once

#include "core/credential.hpp"
#include "net/http_client.hpp"
#include "net/retry_policy.hpp"

#include <string>

namespace keap::oauth {

/// A successful token-endpoint response (RFC 6749 5.1), already checked for the fields we need.
struct TokenResponse {
  std::string access_token;
  std::string refresh_token;
  std::string token_type;
  std::string scope;
  long long expires_in = 0;
};

/// Where and how to reach the token endpoint.
struct TokenEndpoint {
  util::Url url;
  TokenAuth auth = TokenAuth::keap;
  std::string client_id;
  std::string client_secret;
};

enum class Grant { authorization_code, refresh_token };

/// The request of a grant, without sending it. Keap's way (`keap`): the code exchange puts the client
/// credentials in the body and sends no Authorization header (Keap rejects one there); the refresh sends
/// them as HTTP Basic. `client_secret_post` / `client_secret_basic` use one way for both.
net::HttpRequest code_exchange_request(const TokenEndpoint& endpoint, const std::string& code,
                                       const std::string& redirect_uri, const std::string& code_verifier);
net::HttpRequest refresh_request(const TokenEndpoint& endpoint, const std::string& refresh_token);

/// RFC 6749 4.1.3: trades an authorization code for a token pair under `policy`. Throws a classified Error.
TokenResponse exchange_code(net::HttpClient& http, const TokenEndpoint& endpoint, const std::string& code,
                            const std::string& redirect_uri, const std::string& code_verifier,
                            const net::RetryPolicy& policy);

/// RFC 6749 6: sends the refresh grant under `policy` and returns the raw answer (Keap rotates: once it
/// may have been processed, the old refresh token may be dead, so nothing here resends it).
net::HttpResponse send_refresh(net::HttpClient& http, const TokenEndpoint& endpoint, const std::string& refresh_token,
                               const net::RetryPolicy& policy);

/// Turns a token-endpoint answer into a TokenResponse or a classified Error naming `endpoint`. Pure.
///  - 200 with access_token, refresh_token and a sane expires_in → the tokens;
///  - code grant: 401 or invalid_client → exit 2 (client credentials); other 4xx → exit 1;
///  - refresh grant: 400 or 401 → exit 4 (the refresh token is dead: log in again); other 4xx → exit 1;
///  - 5xx, 429, and malformed or incomplete 200s → exit 5.
TokenResponse interpret_token_response(const net::HttpResponse& response, const std::string& endpoint, Grant grant);

/// A fresh grant from the code exchange's answer, received at `received_at`.
OAuthGrant grant_from_response(const TokenResponse& response, const TokenEndpoint& client, util::TimePoint received_at);

/// The grant after a refresh: new pair, new times, everything else kept. Pure.
OAuthGrant rotated_grant(const OAuthGrant& old, const TokenResponse& response, util::TimePoint received_at);

/// Where a stored grant is refreshed: its own token_url, client and token_auth. Error (exit 4) naming
/// `origin` when its token_url is not https (or http to a loopback host).
TokenEndpoint endpoint_of(const OAuthGrant& grant, const std::string& origin);

} // namespace keap::oauth
