#include "expiry.hpp"

#include "duration.hpp"

namespace keap {

bool access_token_expires_within(const Credentials& credentials, std::chrono::seconds window, TimePoint now) {
  return credentials.expires_at - now <= window + k_expiry_margin;
}

std::chrono::seconds refresh_token_age(const Credentials& credentials, TimePoint now) {
  return now - credentials.refresh_token_obtained_at;
}

TimePoint refresh_token_expected_expiry(const Credentials& credentials, std::chrono::seconds lifetime) {
  return credentials.refresh_token_obtained_at + lifetime;
}

RefreshReason refresh_reason(const Credentials& credentials, const RefreshConditions& conditions, TimePoint now) {
  if (conditions.force || (!conditions.if_older_than && !conditions.if_expires_within)) {
    return RefreshReason::unconditional;
  }
  if (conditions.if_older_than && refresh_token_age(credentials, now) >= *conditions.if_older_than) {
    return RefreshReason::refresh_token_old;
  }
  if (conditions.if_expires_within && credentials.expires_at - now <= *conditions.if_expires_within) {
    return RefreshReason::access_token_expiring;
  }
  return RefreshReason::none;
}

std::string describe(RefreshReason reason, const RefreshConditions& conditions) {
  switch (reason) {
  case RefreshReason::unconditional:
    return conditions.force ? "--force was given" : "no condition was given";
  case RefreshReason::refresh_token_old:
    return "the refresh token is at least " + format_duration(*conditions.if_older_than) + " old";
  case RefreshReason::access_token_expiring:
    return "the access token expires within " + format_duration(*conditions.if_expires_within);
  case RefreshReason::none:
    break;
  }
  return "no condition holds";
}

} // namespace keap
