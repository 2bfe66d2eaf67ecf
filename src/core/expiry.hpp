#pragma once

#include "core/credential.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace keap {

/// Keap's refresh tokens live about 45 days; nothing in a token response says so.
inline constexpr std::chrono::seconds k_default_refresh_token_lifetime{45 * 86400};

/// How long before `expires_at` an access token is treated as expired, for clock skew and the time
/// a request takes to reach the API.
inline constexpr std::chrono::seconds k_expiry_margin{60};

/// How far in the future a credential may say it was obtained before keap-auth calls the clock wrong:
/// two machines' clocks (a database's and this one's, after `store import`) rarely agree to the second.
inline constexpr std::chrono::seconds k_clock_skew_tolerance{120};

/// True when the access token expires within `window` (plus the safety margin) of `now`.
bool access_token_expires_within(const OAuthGrant& grant, std::chrono::seconds window, TimePoint now);

std::chrono::seconds refresh_token_age(const OAuthGrant& grant, TimePoint now);
TimePoint refresh_token_expected_expiry(const OAuthGrant& grant, std::chrono::seconds lifetime);

/// What `status` calls usable (exit 0): the refresh token is within its expected life and Keap has not
/// rejected it, so `token` will work without a login.
bool grant_usable(const OAuthGrant& grant, std::chrono::seconds lifetime, TimePoint now);

/// What `keap-auth refresh` was asked to do.
struct RefreshConditions {
  bool force = false;
  std::optional<std::chrono::seconds> if_older_than;     ///< the refresh token is at least this old
  std::optional<std::chrono::seconds> if_expires_within; ///< the access token expires within this
};

enum class RefreshReason {
  none,
  unconditional,             ///< no condition was given, or --force
  refresh_token_old,         ///< --if-older-than held
  access_token_expiring,     ///< --if-expires-within or --min-valid held
  access_token_rejected,     ///< the API answered 401 to the access token the store still holds
  refresh_token_age_unknown, ///< --if-older-than, but the token was obtained "in the future" (clock skew)
};

/// Why a refresh is due now, or `none`. With no condition (or --force) it is always due; with
/// conditions, when any holds. A refresh token obtained after `now` (a clock was wrong) has no age to
/// compare: --if-older-than then refreshes, and says why, rather than trust a negative age. Pure, so
/// the decision is tested at its boundaries.
RefreshReason refresh_reason(const OAuthGrant& grant, const RefreshConditions& conditions, TimePoint now);

/// "the refresh token is at least 30d old", for messages.
std::string describe_reason(RefreshReason reason, const RefreshConditions& conditions);

/// A stable name for the reason, for --json: "refresh_token_old", ...
std::string reason_code(RefreshReason reason);

/// When `status` advises refreshing soon: once two thirds of the refresh token's expected life have
/// passed (30 days of Keap's 45).
std::chrono::seconds refresh_soon_age(std::chrono::seconds lifetime);

/// How a stored credential is doing, as `list` shows it.
enum class Health {
  ok,           ///< usable, nothing to do (keys always are)
  refresh_soon, ///< the refresh token is past two thirds of its expected life
  login_needed, ///< no credentials, a rejected refresh token, or one past its expected life
  damaged,      ///< the file cannot be read as credentials
};

/// The health of a grant at `now`. Pure.
Health grant_health(const OAuthGrant& grant, std::chrono::seconds lifetime, TimePoint now);

/// "ok", "refresh soon", "login needed", "damaged" (the words list prints; --json uses snake_case).
std::string health_text(Health health);
std::string health_code(Health health);

} // namespace keap
