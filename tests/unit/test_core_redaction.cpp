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
