#include "core/credential.hpp"

#include "core/error.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace keap {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

Error damaged(const std::string& origin, const std::string& message) {
  return Error(ExitCode::relogin, "credentials file " + origin + ": " + message,
               "fix or remove the file, then run `keap-auth login`");
}

std::string text_field(const json& document, const char* name, const std::string& origin) {
  auto value = util::string_member(document, name);
  if (!value || value->empty()) {
    throw damaged(origin, std::string("field \"") + name + "\" is missing or not a non-empty string");
  }
  return *value;
}

TimePoint time_field(const json& document, const char* name, const std::string& origin) {
  auto parsed = util::parse_rfc3339(text_field(document, name, origin));
  if (!parsed) {
    throw damaged(origin, std::string("field \"") + name + "\" is not an RFC 3339 time");
  }
  return *parsed;
}

/// A token or key as it goes into a header: visible ASCII only (a line break would start another header).
std::string token_field(const json& document, const char* name, const std::string& origin) {
  auto value = text_field(document, name, origin);
  if (!util::is_visible_ascii(value)) {
    throw damaged(origin,
                  std::string("field \"") + name + "\" holds a blank or a control character, which no token has");
  }
  return value;
}

OAuthGrant parse_grant(const json& document, const std::string& origin, int version) {
  OAuthGrant grant;
  grant.token_type = text_field(document, "token_type", origin);
  grant.access_token = token_field(document, "access_token", origin);
  grant.refresh_token = token_field(document, "refresh_token", origin);
  grant.scope = util::string_member(document, "scope").value_or("");
  grant.app = util::string_member(document, "app");
  grant.expires_at = time_field(document, "expires_at", origin);
  grant.obtained_at = time_field(document, "obtained_at", origin);
  grant.refresh_token_obtained_at = time_field(document, "refresh_token_obtained_at", origin);
  grant.client_id = text_field(document, "client_id", origin);
  grant.client_secret = version == 1 ? text_field(document, "client_secret", origin)
                                     : util::string_member(document, "client_secret").value_or("");
  grant.token_url = text_field(document, "token_url", origin);
  if (auto failure = document.find("last_refresh_failure"); failure != document.end() && failure->is_object()) {
    grant.last_refresh_failure =
        RefreshFailure{time_field(*failure, "at", origin), text_field(*failure, "kind", origin),
                       util::string_member(*failure, "message").value_or("")};
  }
  if (auto name = util::string_member(document, "token_auth")) {
    auto auth = parse_token_auth(*name);
    if (!auth) {
      throw damaged(origin, "field \"token_auth\" is \"" + *name +
                                "\", not keap, client_secret_post or "
                                "client_secret_basic");
    }
    grant.token_auth = *auth;
  }
  return grant;
}

ApiKey parse_key(const json& document, const std::string& origin) {
  ApiKey key;
  key.key = token_field(document, "api_key", origin);
  auto kind = util::string_member(document, "key_kind").value_or("unknown");
  key.kind = kind == "pat"   ? KeyKind::personal_access_token
             : kind == "sak" ? KeyKind::service_account_key
                             : KeyKind::unknown;
  key.obtained_at = time_field(document, "obtained_at", origin);
  key.origin = util::string_member(document, "api_origin").value_or("");
  return key;
}

ordered_json grant_document(const OAuthGrant& grant) {
  // Version 1's fields first and in its order: services read this file.
  ordered_json document = {
      {"version", k_credentials_version},
      {"kind", "oauth_grant"},
      {"token_type", grant.token_type},
      {"access_token", grant.access_token},
      {"refresh_token", grant.refresh_token},
      {"scope", grant.scope},
      {"app", util::or_null<ordered_json>(grant.app)},
      {"expires_at", util::format_rfc3339(grant.expires_at)},
      {"obtained_at", util::format_rfc3339(grant.obtained_at)},
      {"refresh_token_obtained_at", util::format_rfc3339(grant.refresh_token_obtained_at)},
      {"client_id", grant.client_id},
  };
  if (!grant.client_secret.empty()) {
    document["client_secret"] = grant.client_secret;
  }
  document["token_url"] = grant.token_url;
  document["token_auth"] = token_auth_name(grant.token_auth);
  if (const auto& failure = grant.last_refresh_failure) {
    document["last_refresh_failure"] = {
        {"at", util::format_rfc3339(failure->at)}, {"kind", failure->kind}, {"message", failure->message}};
  }
  return document;
}

ordered_json key_document(const ApiKey& key) {
  ordered_json document = {{"version", k_credentials_version},
                           {"kind", "api_key"},
                           {"key_kind", key_kind_name(key.kind)},
                           {"api_key", key.key},
                           {"obtained_at", util::format_rfc3339(key.obtained_at)}};
  if (!key.origin.empty()) {
    document["api_origin"] = key.origin;
  }
  return document;
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

std::string display_app(const std::optional<std::string>& app) { return app ? *app : "(not named by the server)"; }

std::string key_kind_name(KeyKind kind) {
  switch (kind) {
  case KeyKind::personal_access_token:
    return "pat";
  case KeyKind::service_account_key:
    return "sak";
  case KeyKind::unknown:
    break;
  }
  return "unknown";
}

std::string serialize_credential(const Credential& credential) {
  if (const auto* grant = std::get_if<OAuthGrant>(&credential)) {
    return util::dump_json(grant_document(*grant), 2);
  }
  return util::dump_json(key_document(std::get<ApiKey>(credential)), 2);
}

Credential parse_credential(std::string_view text, const std::string& origin) {
  json document = util::parse_json(text);
  if (document.is_discarded() || !document.is_object()) {
    throw damaged(origin, "not a JSON object (the file is damaged)");
  }
  auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer()) {
    throw damaged(origin, "field \"version\" is missing or not an integer");
  }
  auto number = version->get<long long>();
  if (number > k_credentials_version) {
    throw Error(ExitCode::failure,
                "credentials file " + origin + " has version " + std::to_string(number) +
                    ", written by a newer keap-auth; this one reads versions 1 and " +
                    std::to_string(k_credentials_version) + " and will not replace it",
                "use the keap-auth that wrote it, or a newer one");
  }
  if (number < 1) {
    throw damaged(origin, "field \"version\" is " + std::to_string(number) + ", which no keap-auth wrote");
  }
  auto kind = number == 1 ? std::string("oauth_grant") : util::string_member(document, "kind").value_or("");
  if (kind == "oauth_grant") {
    return parse_grant(document, origin, static_cast<int>(number));
  }
  if (kind == "api_key") {
    return parse_key(document, origin);
  }
  throw damaged(origin, "field \"kind\" must be \"oauth_grant\" or \"api_key\"");
}

std::pair<std::string, std::string> credential_header(const Credential& credential) {
  if (const auto* grant = std::get_if<OAuthGrant>(&credential)) {
    return {"Authorization", "Bearer " + grant->access_token};
  }
  return {"X-Keap-API-Key", std::get<ApiKey>(credential).key};
}

std::string describe_key_kind(KeyKind kind) {
  switch (kind) {
  case KeyKind::personal_access_token:
    return "a Personal Access Token";
  case KeyKind::service_account_key:
    return "a Service Account Key";
  case KeyKind::unknown:
    break;
  }
  return "an API key";
}

const OAuthGrant& as_grant(const Credential& credential, const std::string& action) {
  if (const auto* grant = std::get_if<OAuthGrant>(&credential)) {
    return *grant;
  }
  throw Error(ExitCode::usage, action + " needs an OAuth grant, but the credential is an API key (keys never "
                                        "expire and have nothing to refresh)");
}

} // namespace keap
