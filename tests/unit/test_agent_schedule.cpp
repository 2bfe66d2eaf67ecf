// The agent's schedule decides again under the store's lock, on the grant the store holds then.
#include "agent/service.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace std::chrono_literals;

namespace {

OAuthGrant grant_obtained(TimePoint obtained, std::chrono::seconds life, const std::string& token) {
  OAuthGrant grant;
  grant.access_token = token;
  grant.refresh_token = "refresh-" + token;
  grant.obtained_at = obtained;
  grant.refresh_token_obtained_at = obtained;
  grant.expires_at = obtained + life;
  return grant;
}

} // namespace

TEST_CASE("agent schedule: a token whose refresh_at has come is refreshed ahead of its expiry", "[agent]") {
  agent::Settings settings;
  auto now = util::now_seconds();
  auto held = grant_obtained(now - 13h, 24h, "held");
  auto reason = agent::scheduled_reason(held, "held", now - 1h, settings, now);
  CHECK(reason == RefreshReason::access_token_expiring);
}

TEST_CASE("agent schedule: once a caller's refresh replaced the scheduled token, its old refresh_at does not "
          "refresh the new one again",
          "[agent]") {
  agent::Settings settings;
  auto now = util::now_seconds();
  auto replaced = grant_obtained(now, 24h, "fresh from a caller's refresh");
  CHECK(agent::scheduled_reason(replaced, "held", now - 1h, settings, now) == RefreshReason::none);
}

TEST_CASE("agent schedule: min_valid and keep_alive count whoever refreshed", "[agent]") {
  agent::Settings settings;
  auto now = util::now_seconds();
  auto expiring = grant_obtained(now - 24h + 5min, 24h, "another");
  CHECK(agent::scheduled_reason(expiring, "held", std::nullopt, settings, now) == RefreshReason::access_token_expiring);
  auto old = grant_obtained(now, 24h, "another");
  old.refresh_token_obtained_at = now - settings.keep_alive - 1h;
  CHECK(agent::scheduled_reason(old, "held", std::nullopt, settings, now) == RefreshReason::refresh_token_old);
}
