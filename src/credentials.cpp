#include "credentials.hpp"

#include "error.hpp"

#include <nlohmann/json.hpp>

namespace keap {

namespace {

using nlohmann::json;

Error file_error(const std::string& origin, const std::string& message) {
  return Error(ExitCode::relogin, "credentials file " + origin + ": " + message,
               "fix or remove the file, then run `keap-auth login`");
}

std::string text_field(const json& document, const char* name, const std::string& origin) {
  auto it = document.find(name);
  if (it == document.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    throw file_error(origin, std::string("field \"") + name + "\" is missing or not a non-empty string");
  }
  return it->get<std::string>();
}

TimePoint time_field(const json& document, const char* name, const std::string& origin) {
  auto parsed = parse_rfc3339(text_field(document, name, origin));
  if (!parsed) {
    throw file_error(origin, std::string("field \"") + name + "\" is not an RFC 3339 time");
  }
  return *parsed;
}

} // namespace

std::optional<std::string> app_from_scope(std::string_view scope) {
  // Keap's scope is "full|ab123.infusionsoft.com"; other servers send space-separated scopes.
  auto bar = scope.find('|');
  if (bar == std::string_view::npos) {
    return std::nullopt;
  }
  auto app = scope.substr(bar + 1);
  app = app.substr(0, app.find(' '));
  constexpr std::string_view k_suffix = ".infusionsoft.com";
  if (app.size() > k_suffix.size() && app.ends_with(k_suffix)) {
    app.remove_suffix(k_suffix.size());
  }
  if (app.empty()) {
    return std::nullopt;
  }
  return std::string(app);
}

Credentials make_credentials(const TokenResponse& response, const ClientIdentity& client, TimePoint received_at) {
  Credentials credentials;
  credentials.token_type = response.token_type.empty() ? "bearer" : response.token_type;
  credentials.access_token = response.access_token;
  credentials.refresh_token = response.refresh_token;
  credentials.scope = response.scope;
  credentials.app = app_from_scope(response.scope);
  credentials.obtained_at = received_at;
  credentials.expires_at = received_at + std::chrono::seconds{response.expires_in};
  credentials.refresh_token_obtained_at = received_at;
  credentials.client_id = client.client_id;
  credentials.client_secret = client.client_secret;
  credentials.token_url = client.token_url;
  return credentials;
}

std::string serialize_credentials(const Credentials& credentials) {
  // ordered_json keeps the fields in this reading order in the file.
  nlohmann::ordered_json document = {
      {"version", Credentials::k_version},
      {"token_type", credentials.token_type},
      {"access_token", credentials.access_token},
      {"refresh_token", credentials.refresh_token},
      {"scope", credentials.scope},
      {"app", credentials.app ? nlohmann::ordered_json(*credentials.app) : nlohmann::ordered_json(nullptr)},
      {"expires_at", format_rfc3339(credentials.expires_at)},
      {"obtained_at", format_rfc3339(credentials.obtained_at)},
      {"refresh_token_obtained_at", format_rfc3339(credentials.refresh_token_obtained_at)},
      {"client_id", credentials.client_id},
      {"client_secret", credentials.client_secret},
      {"token_url", credentials.token_url},
  };
  return document.dump(2) + "\n";
}

Credentials parse_credentials(std::string_view text, const std::string& origin) {
  json document = json::parse(text.begin(), text.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    throw file_error(origin, "not a JSON object (the file is damaged)");
  }
  auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer()) {
    throw file_error(origin, "field \"version\" is missing or not an integer");
  }
  if (version->get<long long>() != Credentials::k_version) {
    throw Error(ExitCode::failure,
                "credentials file " + origin + " has version " + version->dump() + ", this keap-auth reads version " +
                    std::to_string(Credentials::k_version),
                "use the keap-auth that wrote it, or a newer one");
  }
  Credentials credentials;
  credentials.token_type = text_field(document, "token_type", origin);
  credentials.access_token = text_field(document, "access_token", origin);
  credentials.refresh_token = text_field(document, "refresh_token", origin);
  auto scope = document.find("scope");
  credentials.scope = scope != document.end() && scope->is_string() ? scope->get<std::string>() : "";
  auto app = document.find("app");
  if (app != document.end() && app->is_string()) {
    credentials.app = app->get<std::string>();
  }
  credentials.expires_at = time_field(document, "expires_at", origin);
  credentials.obtained_at = time_field(document, "obtained_at", origin);
  credentials.refresh_token_obtained_at = time_field(document, "refresh_token_obtained_at", origin);
  credentials.client_id = text_field(document, "client_id", origin);
  credentials.client_secret = text_field(document, "client_secret", origin);
  credentials.token_url = text_field(document, "token_url", origin);
  return credentials;
}

} // namespace keap
