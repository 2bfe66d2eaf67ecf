#pragma once

#include "net/http_client.hpp"
#include "util/timestamp.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

/// Keap's rate-limit headers (design/api.md section 9): the product quota (per day), the product
/// throttle (per minute) and, where sent, the tenant's throttle.
namespace keap::api {

/// One limit's window as Keap reports it.
struct RateWindow {
  std::string name; ///< "quota", "throttle", "tenant minute", ...
  std::optional<long long> limit;
  std::optional<long long> available;
  std::optional<long long> used;
  std::string time_unit; ///< "day", "minute", ...
  std::optional<util::TimePoint> resets_at;

  /// What is left, from 0 to 1, when Keap said enough to tell.
  std::optional<double> fraction_left() const;
};

struct RateLimits {
  std::vector<RateWindow> windows;
  bool empty() const { return windows.empty(); }
  /// The window with the least left, if any says.
  const RateWindow* tightest() const;
};

/// Parses x-keap-product-quota-{limit,time-unit,interval,available,used,expiry-time},
/// x-keap-product-throttle-{limit,time-unit,interval,available,used} and x-keap-tenant-throttle-*,
/// whose values may be plain or "minute|day" lists. The quota's expiry is epoch seconds or, above 10^12,
/// epoch milliseconds (Keap does not say which). Blank or broken numbers are left out. Pure.
RateLimits parse_rate_limits(const net::Headers& headers);

/// "quota 1400 of 1500 left (day, resets at T); throttle 230 of 240 left (minute)".
std::string describe_rate_limits(const RateLimits& limits);

/// For --envelope and the remembered state: every window as JSON, null for what Keap did not say.
nlohmann::ordered_json rate_limits_json(const RateLimits& limits);

/// The remembered state read back (what `status` shows); nothing when it is not what we wrote.
std::optional<RateLimits> rate_limits_from_json(const nlohmann::json& json);

} // namespace keap::api
