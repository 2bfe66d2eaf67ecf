#include "token_client.hpp"

#include "error.hpp"

#include <nlohmann/json.hpp>

#include <thread>

namespace keap {

namespace {

using nlohmann::json;

constexpr int k_connect_attempts = 3;
constexpr int k_rate_limit_attempts = 2;
constexpr std::chrono::seconds k_longest_retry_after{30};

std::string basic_authorization(const TokenEndpoint& endpoint) {
  // RFC 6749 2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
  return "Basic " + base64(percent_encode(endpoint.client_id) + ":" + percent_encode(endpoint.client_secret));
}

HttpRequest form_post(const TokenEndpoint& endpoint, Parameters form, bool basic) {
  HttpRequest request;
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
  request.body = form_encode(form);
  return request;
}

std::string string_member(const json& document, const char* name) {
  auto it = document.find(name);
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string{};
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
  if (it->is_string()) {
    auto text = it->get<std::string>();
    if (!text.empty() && text.size() < 12 && text.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(text);
    }
  }
  return std::nullopt;
}

Error server_error(const std::string& endpoint, const std::string& what, Grant grant) {
  return Error(ExitCode::unavailable, "the token endpoint " + endpoint + " " + what,
               grant == Grant::refresh_token
                   ? "the credentials file was not changed; try again later (if the server did rotate the refresh "
                     "token anyway, the next refresh fails with exit 4 and a login is needed)"
                   : "this is a server-side problem; try again later");
}

Error client_error(const std::string& endpoint, int status, const json& document, Grant grant) {
  bool is_object = document.is_object();
  std::string error = is_object ? string_member(document, "error") : "";
  std::string description = is_object ? string_member(document, "error_description") : "";
  std::string detail = "HTTP " + std::to_string(status) + ", " +
                       (error.empty() ? "no OAuth error in the body" : printable_excerpt(error));
  if (!description.empty()) {
    detail += ": " + printable_excerpt(description);
  }
  if (grant == Grant::refresh_token && (status == 400 || status == 401)) {
    return Error(ExitCode::relogin,
                 "the token endpoint " + endpoint + " rejected the refresh (" + detail +
                     "): the refresh token is dead (used, expired or revoked) or the client credentials changed",
                 "run `keap-auth login` again; the credentials file was left as it was");
  }
  if (grant == Grant::authorization_code && (status == 401 || error == "invalid_client")) {
    return Error(ExitCode::usage, "the token endpoint " + endpoint + " rejected the client credentials (" + detail + ")",
                 "check client_id / client_secret (and token_auth for servers other than Keap)");
  }
  return Error(ExitCode::failure, "the token endpoint " + endpoint + " refused the request (" + detail + ")");
}

std::chrono::seconds retry_after(const HttpResponse& response) {
  const auto& text = response.retry_after;
  if (!text.empty() && text.size() < 6 && text.find_first_not_of("0123456789") == std::string::npos) {
    return std::min(std::chrono::seconds(std::stoi(text)), k_longest_retry_after);
  }
  return std::chrono::seconds(5); // absent, or an HTTP date: a short, fixed pause
}

} // namespace

HttpRequest code_exchange_request(const TokenEndpoint& endpoint, const std::string& code,
                                  const std::string& redirect_uri, const std::string& code_verifier) {
  Parameters form{{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri}};
  if (!code_verifier.empty()) {
    form.emplace_back("code_verifier", code_verifier);
  }
  return form_post(endpoint, std::move(form), endpoint.auth == TokenAuth::client_secret_basic);
}

HttpRequest refresh_request(const TokenEndpoint& endpoint, const std::string& refresh_token) {
  return form_post(endpoint, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}},
                   endpoint.auth != TokenAuth::client_secret_post);
}

TokenResponse exchange_code(const TokenEndpoint& endpoint, const std::string& code, const std::string& redirect_uri,
                            const std::string& code_verifier) {
  auto request = code_exchange_request(endpoint, code, redirect_uri, code_verifier);
  return interpret_token_response(send_request(request, endpoint.http), endpoint.url.to_string(),
                                  Grant::authorization_code);
}

TokenResponse refresh_tokens(const TokenEndpoint& endpoint, const std::string& refresh_token) {
  return interpret_token_response(send_refresh_request(endpoint, refresh_token), endpoint.url.to_string(),
                                  Grant::refresh_token);
}

HttpResponse send_refresh_request(const TokenEndpoint& endpoint, const std::string& refresh_token) {
  auto request = refresh_request(endpoint, refresh_token);
  int connect_failures = 0, rate_limits = 0;
  for (;;) {
    HttpResponse response;
    try {
      response = send_request(request, endpoint.http);
    } catch (const TransportError& error) {
      if (error.request_sent() || ++connect_failures >= k_connect_attempts) {
        throw;
      }
      std::this_thread::sleep_for(std::chrono::seconds(connect_failures));
      continue;
    }
    if (response.status == 429 && ++rate_limits < k_rate_limit_attempts + 1) {
      // A 429 was refused before processing, so repeating it cannot burn a rotation.
      std::this_thread::sleep_for(retry_after(response));
      continue;
    }
    return response;
  }
}

TokenResponse interpret_token_response(const HttpResponse& response, const std::string& endpoint, Grant grant) {
  json document = json::parse(response.body, nullptr, false);
  if (response.status >= 500 || response.status == 429) {
    throw server_error(endpoint, "answered HTTP " + std::to_string(response.status), grant);
  }
  if (response.status >= 400) {
    throw client_error(endpoint, response.status, document, grant);
  }
  if (response.status != 200) {
    throw server_error(endpoint, "answered HTTP " + std::to_string(response.status) + " instead of 200", grant);
  }
  if (document.is_discarded() || !document.is_object()) {
    throw server_error(endpoint, "answered 200 with a body that is not a JSON object", grant);
  }
  TokenResponse token;
  token.access_token = string_member(document, "access_token");
  token.refresh_token = string_member(document, "refresh_token");
  token.token_type = string_member(document, "token_type");
  token.scope = string_member(document, "scope");
  auto expires_in = expires_in_of(document);
  const char* missing = token.access_token.empty()    ? "access_token"
                        : token.refresh_token.empty() ? "refresh_token"
                        : !expires_in                 ? "expires_in"
                                                      : nullptr;
  if (missing != nullptr) {
    throw server_error(endpoint, std::string("answered 200 without a usable \"") + missing + "\"", grant);
  }
  constexpr long long k_ten_years = 10LL * 366 * 86400;
  if (*expires_in <= 0 || *expires_in > k_ten_years) {
    throw server_error(endpoint, "answered an expires_in of " + std::to_string(*expires_in) +
                                     " seconds, which cannot be right", grant);
  }
  token.expires_in = *expires_in;
  return token;
}

} // namespace keap
