#include "token_client.hpp"

#include "error.hpp"

#include <nlohmann/json.hpp>

namespace keap {

namespace {

using nlohmann::json;

std::string basic_authorization(const TokenEndpoint& endpoint) {
  // RFC 6749 2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
  return "Basic " + base64(percent_encode(endpoint.client_id) + ":" + percent_encode(endpoint.client_secret));
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
    return static_cast<long long>(it->get<double>());
  }
  if (it->is_string()) {
    auto text = it->get<std::string>();
    if (!text.empty() && text.size() < 12 && text.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(text);
    }
  }
  return std::nullopt;
}

Error server_error(const std::string& endpoint, const std::string& what) {
  return Error(ExitCode::unavailable, "the token endpoint " + endpoint + " " + what,
               "this is a server-side problem; try again later");
}

} // namespace

HttpRequest code_exchange_request(const TokenEndpoint& endpoint, const std::string& code,
                                  const std::string& redirect_uri, const std::string& code_verifier) {
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint.url;
  request.content_type = "application/x-www-form-urlencoded";
  request.headers = {{"Accept", "application/json"}};
  Parameters form{{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri}};
  if (endpoint.auth == TokenAuth::client_secret_basic) {
    request.headers.emplace_back("Authorization", basic_authorization(endpoint));
  } else {
    form.emplace_back("client_id", endpoint.client_id);
    form.emplace_back("client_secret", endpoint.client_secret);
  }
  if (!code_verifier.empty()) {
    form.emplace_back("code_verifier", code_verifier);
  }
  request.body = form_encode(form);
  return request;
}

TokenResponse exchange_code(const TokenEndpoint& endpoint, const std::string& code, const std::string& redirect_uri,
                            const std::string& code_verifier) {
  auto request = code_exchange_request(endpoint, code, redirect_uri, code_verifier);
  return interpret_token_response(send_request(request, endpoint.http), endpoint.url.to_string());
}

TokenResponse interpret_token_response(const HttpResponse& response, const std::string& endpoint) {
  json document = json::parse(response.body, nullptr, false);
  bool is_object = !document.is_discarded() && document.is_object();
  if (response.status >= 500 || response.status == 429) {
    throw server_error(endpoint, "answered HTTP " + std::to_string(response.status));
  }
  if (response.status >= 400) {
    std::string error = is_object ? string_member(document, "error") : "";
    std::string description = is_object ? string_member(document, "error_description") : "";
    std::string detail = error.empty() ? "no OAuth error in the body" : printable_excerpt(error);
    if (!description.empty()) {
      detail += ": " + printable_excerpt(description);
    }
    std::string status = "HTTP " + std::to_string(response.status);
    if (response.status == 401 || error == "invalid_client") {
      throw Error(ExitCode::usage,
                  "the token endpoint " + endpoint + " rejected the client credentials (" + status + ", " + detail + ")",
                  "check client_id / client_secret (and token_auth for servers other than Keap)");
    }
    throw Error(ExitCode::failure, "the token endpoint " + endpoint + " refused the request (" + status + ", " +
                                       detail + ")");
  }
  if (response.status != 200) {
    throw server_error(endpoint, "answered HTTP " + std::to_string(response.status) + " instead of 200");
  }
  if (!is_object) {
    throw server_error(endpoint, "answered 200 with a body that is not a JSON object");
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
    throw server_error(endpoint, std::string("answered 200 without a usable \"") + missing + "\"");
  }
  constexpr long long k_ten_years = 10LL * 366 * 86400;
  if (*expires_in <= 0 || *expires_in > k_ten_years) {
    throw server_error(endpoint, "answered an expires_in of " + std::to_string(*expires_in) +
                                     " seconds, which cannot be right");
  }
  token.expires_in = *expires_in;
  return token;
}

} // namespace keap
