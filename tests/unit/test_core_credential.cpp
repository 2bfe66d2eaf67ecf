#include "core/credential.hpp"
#include "core/error.hpp"
#include "oauth/token_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace keap;

namespace {

OAuthGrant sample() {
  oauth::TokenEndpoint client{*util::parse_url("https://api.infusionsoft.com/token"), TokenAuth::keap, "client",
                              "secret"};
  return oauth::grant_from_response({"ACCESS28", "REFRESH32", "bearer", "full|ab123.infusionsoft.com", 86399}, client,
                                    *util::parse_rfc3339("2026-11-27T07:00:00Z"));
}

std::string message_of(const std::string& text) {
  try {
    parse_credential(text, "/srv/keap-credentials.json");
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

/// A file exactly as keap-auth 0.1 (format version 1) wrote it.
const char* const k_version_1_file = R"({
  "version": 1,
  "token_type": "bearer",
  "access_token": "AAAAaccess1111111111111111aa",
  "refresh_token": "RRRRrefresh222222222222222222rr",
  "scope": "full|ab123.infusionsoft.com",
  "app": "ab123",
  "expires_at": "2026-11-28T07:33:59Z",
  "obtained_at": "2026-11-27T07:34:00Z",
  "refresh_token_obtained_at": "2026-11-27T07:34:00Z",
  "client_id": "client-v1",
  "client_secret": "secret-v1",
  "token_url": "https://api.infusionsoft.com/token"
}
)";

} // namespace

TEST_CASE("core::credential: an OAuth grant round-trips in version 2, v1's fields first and unmoved", "[credentials]") {
  auto grant = sample();
  grant.token_auth = TokenAuth::client_secret_basic;
  REQUIRE(grant.app == "ab123");
  REQUIRE(util::format_rfc3339(grant.expires_at) == "2026-11-28T06:59:59Z");
  auto text = serialize_credential(grant);
  REQUIRE(text.starts_with("{\n  \"version\": 2,\n  \"kind\": \"oauth_grant\",\n  \"token_type\": \"bearer\","));
  auto back = std::get<OAuthGrant>(parse_credential(text, "f.json"));
  REQUIRE(back.access_token == "ACCESS28");
  REQUIRE(back.refresh_token == "REFRESH32");
  REQUIRE(back.app == "ab123");
  REQUIRE(back.expires_at == grant.expires_at);
  REQUIRE(back.refresh_token_obtained_at == grant.obtained_at);
  REQUIRE(back.token_url == "https://api.infusionsoft.com/token");
  REQUIRE(back.token_auth == TokenAuth::client_secret_basic);
  auto document = nlohmann::json::parse(text);
  for (const char* field : {"access_token", "refresh_token", "expires_at", "client_id", "client_secret", "token_url"}) {
    REQUIRE(document.contains(field)); // services read these
  }
}

TEST_CASE("core::credential: a version 1 file from keap-auth 0.1 is read, and written back as version 2",
          "[credentials]") {
  auto credential = parse_credential(k_version_1_file, "old.json");
  const auto& grant = std::get<OAuthGrant>(credential);
  REQUIRE(grant.access_token == "AAAAaccess1111111111111111aa");
  REQUIRE(grant.client_secret == "secret-v1");
  REQUIRE(grant.token_auth == TokenAuth::keap);
  auto rewritten = nlohmann::json::parse(serialize_credential(credential));
  auto original = nlohmann::json::parse(k_version_1_file);
  REQUIRE(rewritten["version"] == 2);
  for (const auto& [field, value] : original.items()) {
    if (field != "version") {
      REQUIRE(rewritten[field] == value);
    }
  }
}

TEST_CASE("core::credential: an API key round-trips", "[credentials]") {
  ApiKey key{"KeapAK-1234", KeyKind::service_account_key, *util::parse_rfc3339("2026-11-27T07:00:00Z"), ""};
  auto text = serialize_credential(key);
  REQUIRE(text.find("\"kind\": \"api_key\"") != std::string::npos);
  REQUIRE(text.find("\"key_kind\": \"sak\"") != std::string::npos);
  auto back = std::get<ApiKey>(parse_credential(text, "k.json"));
  REQUIRE(back.key == "KeapAK-1234");
  REQUIRE(back.kind == KeyKind::service_account_key);
  REQUIRE_THROWS_WITH(as_grant(back, "refresh"), Catch::Contains("is an API key"));
}

TEST_CASE("core::credential: the app comes from the scope", "[credentials]") {
  REQUIRE(app_from_scope("full|xy987.infusionsoft.com") == "xy987");
  REQUIRE(app_from_scope("full|tenant.example.com") == "tenant.example.com");
  REQUIRE_FALSE(app_from_scope("openid profile"));
  REQUIRE_FALSE(app_from_scope("full|"));
  REQUIRE(display_app(std::nullopt) == "(not named by the server)");
}

TEST_CASE("core::credential: damaged and newer files are errors that name the file and field", "[credentials]") {
  REQUIRE(message_of("{\"version\": 1, \"acc").find("/srv/keap-credentials.json: not a JSON object") !=
          std::string::npos);
  REQUIRE(message_of("").find("not a JSON object") != std::string::npos);
  auto text = serialize_credential(sample());
  auto without_refresh = nlohmann::json::parse(text);
  without_refresh.erase("refresh_token");
  REQUIRE(message_of(without_refresh.dump()).find("field \"refresh_token\" is missing") != std::string::npos);
  auto newer = nlohmann::json::parse(text);
  newer["version"] = 3;
  REQUIRE(message_of(newer.dump()).find("has version 3, written by a newer keap-auth") != std::string::npos);
  auto bad_time = nlohmann::json::parse(text);
  bad_time["expires_at"] = "tomorrow";
  REQUIRE(message_of(bad_time.dump()).find("\"expires_at\" is not an RFC 3339 time") != std::string::npos);
  auto injected = nlohmann::json::parse(text);
  injected["access_token"] = "abc\r\nX-Injected: 1";
  REQUIRE(message_of(injected.dump()).find("\"access_token\" holds a blank or a control character") !=
          std::string::npos);
  auto bad_kind = nlohmann::json::parse(text);
  bad_kind["kind"] = "cookie";
  REQUIRE(message_of(bad_kind.dump()).find("\"kind\" must be") != std::string::npos);
  try {
    parse_credential(newer.dump(), "n.json");
  } catch (const Error& error) {
    REQUIRE(error.code() == ExitCode::failure); // a newer keap-auth reads it; a login must not replace it
  }
}
