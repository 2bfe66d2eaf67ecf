#include "core/redaction.hpp"

#include <catch2/catch.hpp>

using namespace keap;

TEST_CASE("core::redaction: forms keep names and lose secret values", "[redaction]") {
  REQUIRE(redact_form("grant_type=refresh_token&refresh_token=R1&client_secret=S") ==
          "grant_type=refresh_token&refresh_token=[redacted]&client_secret=[redacted]");
  REQUIRE(redact_form("%zz") == "[3 bytes, not a form]");
}

TEST_CASE("core::redaction: bodies lose secrets at any depth", "[redaction]") {
  auto body = redact_body(R"({"access_token":"A","nested":{"refresh_token":"R","list":[{"api_key":"K"},"x"]},)"
                          R"("error":{"client_secret":"S"},"ok":1})");
  for (const char* secret : {"\"A\"", "\"R\"", "\"K\"", "\"S\""}) {
    INFO(secret);
    REQUIRE(body.find(secret) == std::string::npos);
  }
  REQUIRE(body.find("\"ok\":1") != std::string::npos);
  REQUIRE(redact_body(R"([{"access_token":"A"}])") == R"([{"access_token":"[redacted]"}])");
  REQUIRE(redact_body("<html>secret</html>") == "[19 bytes]");
  REQUIRE(redact_body(std::string(1000, ' ') + "{\"a\":\"" + std::string(1000, 'b') + "\"}").size() <= 403);
}

TEST_CASE("core::redaction: headers that carry credentials", "[redaction]") {
  REQUIRE(redact_header("Authorization", "Bearer abc") == "Bearer [redacted]");
  REQUIRE(redact_header("authorization", "Basic xyz") == "Basic [redacted]");
  REQUIRE(redact_header("X-Keap-API-Key", "KeapAK-1") == "[redacted]");
  REQUIRE(redact_header("Accept", "application/json") == "application/json");
}

TEST_CASE("core::redaction: names match without case or separators", "[redaction]") {
  for (const char* name : {"accessToken", "Access-Token", "ACCESS_TOKEN", "apiKey", "api.key", "clientSecret",
                           "sessionToken", "db_password", "Code", "STATE", "private_key"}) {
    INFO(name);
    REQUIRE(is_secret_name(name));
  }
  for (const char* name : {"grant_type", "given_name", "email", "token_type_hint_x", "code_challenge_method", "id"}) {
    INFO(name);
    REQUIRE_FALSE(is_secret_name(name));
  }
  auto body = redact_body(R"({"accessToken":"A1","data":{"apiKey":"K1","Refresh-Token":"R1","name":"Ada"}})");
  for (const char* secret : {"A1", "K1", "R1"}) {
    REQUIRE(body.find(secret) == std::string::npos);
  }
  REQUIRE(body.find("Ada") != std::string::npos);
}
