#include "api/error_body.hpp"

#include <catch2/catch.hpp>

using namespace keap::api;

TEST_CASE("api::error_body: Keap's own words, whichever layer answered", "[api][errors]") {
  REQUIRE(
      error_message(
          R"({"fault":{"faultstring":"Invalid Access Token","detail":{"errorcode":"keymanagement.service.invalid_access_token"}}})") ==
      "Invalid Access Token");
  REQUIRE(error_message(R"({"code":400,"message":"Invalid email","status":"INVALID_ARGUMENT","details":[]})") ==
          "Invalid email");
  REQUIRE(error_message(R"({"code":"429","message":"Quota Exceeded","status":"Request Throttled"})") ==
          "Quota Exceeded");
  REQUIRE(error_message(R"({"message":"is_public is required"})") == "is_public is required");
  REQUIRE(error_message(R"({"error":"invalid_grant","error_description":"Invalid refresh token"})") ==
          "Invalid refresh token");
  REQUIRE(error_message("<html><head><TITLE>400 Bad Request</TITLE></head></html>") == "400 Bad Request");
  REQUIRE(error_message("<title>\x1b[31mred\nline</title>") == "[31mred line"); // no escape reaches a terminal
  for (const char* silent : {"", "{}", "[1]", R"({"message":"  "})", "<title></title>", "plain text", "<title>open"}) {
    INFO(silent);
    REQUIRE_FALSE(error_message(silent));
  }
  REQUIRE(fault_code(R"({"fault":{"faultstring":"x","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}})") ==
          "policies.ratelimit.QuotaViolation");
  REQUIRE_FALSE(fault_code(R"({"fault":{"detail":7}})"));
  REQUIRE_FALSE(fault_code(R"({"message":"x"})"));
}
