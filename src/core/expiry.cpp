#include "core/expiry.hpp"

#include "util/duration.hpp"

#include <algorithm>

namespace keap {

bool access_token_expires_within(const OAuthGrant& grant, std::chrono::seconds window, TimePoint now) {
  return grant.expires_at - now <= window + k_expiry_margin;
}

std::chrono::seconds refresh_token_age(const OAuthGrant& grant, TimePoint now) {
  return now - grant.refresh_token_obtained_at;
}

TimePoint refresh_token_expected_expiry(const OAuthGrant& grant, std::chrono::seconds lifetime) {
  return grant.refresh_token_obtained_at + lifetime;
}

bool grant_usable(const OAuthGrant& grant, std::chrono::seconds lifetime, TimePoint now) {
  bool rejected = grant.last_refresh_failure && grant.last_refresh_failure->kind == "rejected";
  return now < refresh_token_expected_expiry(grant, lifetime) && !rejected;
}

RefreshReason refresh_reason(const OAuthGrant& grant, const RefreshConditions& conditions, TimePoint now) {
  if (conditions.force || (!conditions.if_older_than && !conditions.if_expires_within)) {
    return RefreshReason::unconditional;
  }
  auto age = refresh_token_age(grant, now);
  if (conditions.if_older_than && age < -k_clock_skew_tolerance) {
    return RefreshReason::refresh_token_age_unknown;
  }
  if (conditions.if_older_than && std::max(age, std::chrono::seconds(0)) >= *conditions.if_older_than) {
    return RefreshReason::refresh_token_old;
  }
  if (conditions.if_expires_within && grant.expires_at - now <= *conditions.if_expires_within) {
    return RefreshReason::access_token_expiring;
  }
  return RefreshReason::none;
}

std::string describe_reason(RefreshReason reason, const RefreshConditions& conditions) {
  switch (reason) {
  case RefreshReason::unconditional:
    return conditions.force ? "--force was given" : "no condition was given";
  case RefreshReason::refresh_token_old:
    return "the refresh token is at least " + util::format_duration(*conditions.if_older_than) + " old";
  case RefreshReason::access_token_expiring:
    return conditions.if_expires_within
               ? "the access token expires within " + util::format_duration(*conditions.if_expires_within)
               : "the access token is about to expire";
  case RefreshReason::access_token_rejected:
    return "the API rejected the access token";
  case RefreshReason::refresh_token_age_unknown:
    return "the refresh token was obtained in the future by this machine's clock (check the clock), so its age is "
           "unknown and refreshing is the safe choice";
  case RefreshReason::none:
    break;
  }
  return "no condition holds";
}

std::string reason_code(RefreshReason reason) {
  switch (reason) {
  case RefreshReason::unconditional:
    return "unconditional";
  case RefreshReason::refresh_token_old:
    return "refresh_token_old";
  case RefreshReason::access_token_expiring:
    return "access_token_expiring";
  case RefreshReason::access_token_rejected:
    return "access_token_rejected";
  case RefreshReason::refresh_token_age_unknown:
    return "refresh_token_age_unknown";
  case RefreshReason::none:
    break;
  }
  return "none";
}

std::chrono::seconds refresh_soon_age(std::chrono::seconds lifetime) { return lifetime * 2 / 3; }

Health grant_health(const OAuthGrant& grant, std::chrono::seconds lifetime, TimePoint now) {
  const auto& failure = grant.last_refresh_failure;
  if ((failure && failure->kind == "rejected") || now >= refresh_token_expected_expiry(grant, lifetime)) {
    return Health::login_needed;
  }
  return refresh_token_age(grant, now) >= refresh_soon_age(lifetime) ? Health::refresh_soon : Health::ok;
}

std::string health_text(Health health) {
  switch (health) {
  case Health::ok:
    return "ok";
  case Health::refresh_soon:
    return "refresh soon";
  case Health::login_needed:
    return "login needed";
  case Health::damaged:
    return "damaged";
  }
  return "damaged";
}

std::string health_code(Health health) {
  auto text = health_text(health);
  std::replace(text.begin(), text.end(), ' ', '_');
  return text;
}

} // namespace keap
