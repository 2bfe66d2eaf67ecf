#include "core/expiry.hpp"
#include "oauth/refresh.hpp"
#include "oauth/token_client.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::util;
using namespace keap::oauth;
using namespace std::chrono_literals;

namespace {

const TimePoint k_now = *parse_rfc3339("2026-11-27T12:00:00Z");

OAuthGrant aged(std::chrono::seconds access_left, std::chrono::seconds refresh_age) {
  OAuthGrant credentials;
  credentials.expires_at = k_now + access_left;
  credentials.obtained_at = k_now - refresh_age;
  credentials.refresh_token_obtained_at = k_now - refresh_age;
  return credentials;
}

} // namespace

TEST_CASE("core::expiry: --if-older-than holds from exactly DUR on", "[expiry]") {
  RefreshConditions conditions;
  conditions.if_older_than = 30 * 24h;
  REQUIRE(refresh_reason(aged(1h, 30 * 24h - 1s), conditions, k_now) == RefreshReason::none);
  REQUIRE(refresh_reason(aged(1h, 30 * 24h), conditions, k_now) == RefreshReason::refresh_token_old);
  REQUIRE(refresh_reason(aged(1h, 30 * 24h + 1s), conditions, k_now) == RefreshReason::refresh_token_old);
}

TEST_CASE("core::expiry: --if-expires-within holds from exactly DUR on", "[expiry]") {
  RefreshConditions conditions;
  conditions.if_expires_within = 12h;
  REQUIRE(refresh_reason(aged(12h + 1s, 0s), conditions, k_now) == RefreshReason::none);
  REQUIRE(refresh_reason(aged(12h, 0s), conditions, k_now) == RefreshReason::access_token_expiring);
  REQUIRE(refresh_reason(aged(-5h, 0s), conditions, k_now) == RefreshReason::access_token_expiring);
}

TEST_CASE("core::expiry: no condition or --force always refreshes, any condition suffices", "[expiry]") {
  REQUIRE(refresh_reason(aged(20h, 0s), {}, k_now) == RefreshReason::unconditional);
  RefreshConditions both;
  both.if_older_than = 30 * 24h;
  both.if_expires_within = 1h;
  REQUIRE(refresh_reason(aged(20h, 1s), both, k_now) == RefreshReason::none);
  REQUIRE(refresh_reason(aged(30min, 1s), both, k_now) == RefreshReason::access_token_expiring);
  both.force = true;
  REQUIRE(refresh_reason(aged(20h, 1s), both, k_now) == RefreshReason::unconditional);
  REQUIRE(describe_reason(RefreshReason::unconditional, both) == "--force was given");
}

TEST_CASE("core::expiry: the access token check keeps a safety margin", "[expiry]") {
  REQUIRE(access_token_expires_within(aged(5min + k_expiry_margin, 0s), 5min, k_now));
  REQUIRE_FALSE(access_token_expires_within(aged(5min + k_expiry_margin + 1s, 0s), 5min, k_now));
  REQUIRE(access_token_expires_within(aged(30s, 0s), 0s, k_now));
  REQUIRE(refresh_token_expected_expiry(aged(1h, 10 * 24h), 45 * 24h) == k_now + 35 * 24h);
}

TEST_CASE("oauth::token_client: rotation keeps the client and takes the new pair and times", "[expiry]") {
  OAuthGrant old = aged(1h, 10 * 24h);
  old.access_token = "A1";
  old.refresh_token = "R1";
  old.scope = "full|ab123.infusionsoft.com";
  old.app = "ab123";
  old.client_id = "cid";
  old.client_secret = "sec";
  old.token_url = "https://api.infusionsoft.com/token";
  old.token_auth = TokenAuth::client_secret_post;
  auto fresh = rotated_grant(old, {"A2", "R2", "bearer", "", 86399}, k_now);
  REQUIRE(fresh.access_token == "A2");
  REQUIRE(fresh.refresh_token == "R2");
  REQUIRE(fresh.scope == "full|ab123.infusionsoft.com"); // a refresh answer without scope keeps the old one
  REQUIRE(fresh.app == "ab123");
  REQUIRE(fresh.expires_at == k_now + 86399s);
  REQUIRE(fresh.refresh_token_obtained_at == k_now);
  REQUIRE(fresh.client_secret == "sec");
  REQUIRE(fresh.token_url == old.token_url);
  REQUIRE(fresh.token_auth == TokenAuth::client_secret_post);
}
