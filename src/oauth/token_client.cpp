#include "oauth/token_client.hpp"

#include "net/http_status.hpp"
#include "util/encoding.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace keap::oauth {

namespace {

using nlohmann::json;

std::string basic_authorization(const TokenEndpoint& endpoint) {
  // RFC 6749 2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
  return "Basic " +
         util::base64(util::percent_encode(endpoint.client_id) + ":" + util::percent_encode(endpoint.client_secret));
}

net::HttpRequest form_post(const TokenEndpoint& endpoint, util::Parameters form, bool basic) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = endpoint.url;
  request.content_type = "application/x-www-form-urlencoded";
  request.headers = {{"Accept", "application/json"}};
  if (basic) {
    request.headers.emplace_back("Authorization", basic_authorization(endpoint));
  } else {
    form.emplace_back("client_id", endpoint.client_id);
    form.emplace_back("client_secret", endpoint.client_secret);
  }
  request.body = util::form_encode(form);
  return request;
}

/// expires_in is a number by RFC 6749; some servers send it as a string of digits.
std::optional<long long> expires_in_of(const json& document) {
  auto it = document.find("expires_in");
  if (it == document.end()) {
    return std::nullopt;
  }
  if (it->is_number_integer()) {
    return it->get<long long>();
  }
  if (it->is_number_float()) {
    double value = it->get<double>();
    return value > -1e12 && value < 1e12 ? std::optional<long long>(static_cast<long long>(value)) : std::nullopt;
  }
  if (auto text = util::string_member(document, "expires_in");
      text && !text->empty() && text->size() < 12 && text->find_first_not_of("0123456789") == std::string::npos) {
    return std::stoll(*text);
  }
  return std::nullopt;
}

Error server_error(const std::string& endpoint, const std::string& what, Grant grant) {
  return Error(ExitCode::unavailable, "the token endpoint " + endpoint + " " + what,
               grant == Grant::refresh_token
                   ? "the stored tokens were not changed; try again later (if the server did rotate the refresh "
                     "token anyway, the next refresh fails with exit 4 and a login is needed)"
                   : "this is a server-side problem; try again later");
}

/// "HTTP 400 (Bad Request), invalid_grant: Invalid code", escaped for a terminal.
std::string oauth_detail(int status, const json& document) {
  auto error = util::string_member(document, "error");
  auto description = util::string_member(document, "error_description");
  std::string detail = net::describe_status(status) + ", " +
                       (error ? util::printable_excerpt(*error) : std::string("no OAuth error in the body"));
  if (description && !description->empty()) {
    detail += ": " + util::printable_excerpt(*description);
  }
  return detail;
}

Error client_error(const std::string& endpoint, int status, const json& document, Grant grant) {
  auto detail = oauth_detail(status, document);
  auto error = util::string_member(document, "error").value_or("");
  if (grant == Grant::refresh_token && (status == 400 || status == 401)) {
    return Error(ExitCode::relogin,
                 "the token endpoint " + endpoint + " rejected the refresh (" + detail +
                     "): the refresh token is dead (used, expired or revoked) or the client credentials changed",
                 "run `keap-auth login` again; the stored credentials were left as they were");
  }
  if (grant == Grant::authorization_code && (status == 401 || error == "invalid_client")) {
    return Error(ExitCode::usage,
                 "the token endpoint " + endpoint + " rejected the client credentials (" + detail + ")",
                 "check client_id / client_secret (and token_auth for servers other than Keap)");
  }
  return Error(ExitCode::failure, "the token endpoint " + endpoint + " refused the request (" + detail + ")");
}

} // namespace

net::HttpRequest code_exchange_request(const TokenEndpoint& endpoint, const std::string& code,
                                       const std::string& redirect_uri, const std::string& code_verifier) {
  util::Parameters form{{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri}};
  if (!code_verifier.empty()) {
    form.emplace_back("code_verifier", code_verifier);
  }
  return form_post(endpoint, std::move(form), endpoint.auth == TokenAuth::client_secret_basic);
}

net::HttpRequest refresh_request(const TokenEndpoint& endpoint, const std::string& refresh_token) {
  return form_post(endpoint, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}},
                   endpoint.auth != TokenAuth::client_secret_post);
}

TokenResponse exchange_code(net::HttpClient& http, const TokenEndpoint& endpoint, const std::string& code,
                            const std::string& redirect_uri, const std::string& code_verifier,
                            const net::RetryPolicy& policy) {
  auto request = code_exchange_request(endpoint, code, redirect_uri, code_verifier);
  return interpret_token_response(net::send_with_retries(http, request, policy), endpoint.url.without_query(),
                                  Grant::authorization_code);
}

net::HttpResponse send_refresh(net::HttpClient& http, const TokenEndpoint& endpoint, const std::string& refresh_token,
                               const net::RetryPolicy& policy) {
  return net::send_with_retries(http, refresh_request(endpoint, refresh_token), policy);
}

TokenResponse interpret_token_response(const net::HttpResponse& response, const std::string& endpoint, Grant grant) {
  json document = util::parse_json(response.body);
  auto status_class = net::classify_status(response.status);
  if (net::worth_retrying_later(status_class)) {
    throw server_error(endpoint, "answered " + net::describe_status(response.status), grant);
  }
  if (status_class == net::StatusClass::unauthorized || status_class == net::StatusClass::forbidden ||
      status_class == net::StatusClass::client_error) {
    throw client_error(endpoint, response.status, document, grant);
  }
  if (response.status != 200) {
    throw server_error(endpoint, "answered " + net::describe_status(response.status) + " instead of 200", grant);
  }
  if (document.is_discarded() || !document.is_object()) {
    throw server_error(endpoint, "answered 200 with a body that is not a JSON object", grant);
  }
  TokenResponse token;
  token.access_token = util::string_member(document, "access_token").value_or("");
  token.refresh_token = util::string_member(document, "refresh_token").value_or("");
  token.token_type = util::string_member(document, "token_type").value_or("");
  token.scope = util::string_member(document, "scope").value_or("");
  auto expires_in = expires_in_of(document);
  const char* missing = token.access_token.empty()    ? "access_token"
                        : token.refresh_token.empty() ? "refresh_token"
                        : !expires_in                 ? "expires_in"
                                                      : nullptr;
  if (missing != nullptr) {
    throw server_error(endpoint, std::string("answered 200 without a usable \"") + missing + "\"", grant);
  }
  // A token goes into an Authorization header: a blank or a control character in one would end the header
  // and start another (RFC 6750 2.1: b64token is visible ASCII only).
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"access_token", &token.access_token},
                                    {"refresh_token", &token.refresh_token}}) {
    if (!util::is_visible_ascii(*value) || value->size() > 8192) {
      throw server_error(endpoint,
                         std::string("answered a \"") + name +
                             "\" with a blank, a control character or more than 8 KiB, which no token has",
                         grant);
    }
  }
  constexpr long long k_ten_years = 10LL * 366 * 86400;
  if (*expires_in <= 0 || *expires_in > k_ten_years) {
    throw server_error(endpoint,
                       "answered an expires_in of " + std::to_string(*expires_in) + " seconds, which cannot be right",
                       grant);
  }
  token.expires_in = *expires_in;
  return token;
}

OAuthGrant grant_from_response(const TokenResponse& response, const TokenEndpoint& client,
                               util::TimePoint received_at) {
  OAuthGrant grant;
  grant.token_type = response.token_type.empty() ? "bearer" : response.token_type;
  grant.access_token = response.access_token;
  grant.refresh_token = response.refresh_token;
  grant.scope = response.scope;
  grant.app = app_from_scope(response.scope);
  grant.obtained_at = received_at;
  grant.expires_at = received_at + std::chrono::seconds{response.expires_in};
  grant.refresh_token_obtained_at = received_at;
  grant.client_id = client.client_id;
  grant.client_secret = client.client_secret;
  grant.token_url = client.url.to_string();
  grant.token_auth = client.auth;
  return grant;
}

OAuthGrant rotated_grant(const OAuthGrant& old, const TokenResponse& response, util::TimePoint received_at) {
  OAuthGrant fresh = old;
  fresh.access_token = response.access_token;
  fresh.refresh_token = response.refresh_token;
  if (!response.token_type.empty()) {
    fresh.token_type = response.token_type;
  }
  if (!response.scope.empty()) {
    fresh.scope = response.scope;
    if (auto app = app_from_scope(response.scope)) {
      fresh.app = app;
    }
  }
  fresh.obtained_at = received_at;
  fresh.expires_at = received_at + std::chrono::seconds{response.expires_in};
  fresh.refresh_token_obtained_at = received_at;
  return fresh;
}

TokenEndpoint endpoint_of(const OAuthGrant& grant, const std::string& origin) {
  auto url = util::parse_url(grant.token_url);
  if (!url || !util::keeps_secrets_private(*url)) {
    throw Error(ExitCode::relogin,
                origin + ": token_url \"" + util::printable_excerpt(grant.token_url) +
                    "\" is not an https URL (or http to a loopback host)",
                "fix it, or run `keap-auth login` again");
  }
  return {*url, grant.token_auth, grant.client_id, grant.client_secret};
}

} // namespace keap::oauth
