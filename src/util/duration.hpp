#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace keap::util {

/// The forms every duration flag accepts, for error messages.
inline constexpr std::string_view k_duration_forms = "a number with a unit: 90s, 5m, 12h or 30d";

/// Parses "90s", "5m", "12h", "30d" (and "0"). Pure; nothing on bad input, a number without a unit
/// ("45": seconds, or days?), negative values or overflow past 100 years.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

/// "1d 2h", "23h 12m", "5m 3s", "42s": the two largest non-zero units.
std::string format_duration(std::chrono::seconds duration);

/// The duration in its largest whole unit, as parse_duration reads it back: "45d", "90s", "10m", "0".
std::string format_exact_duration(std::chrono::seconds duration);

/// "in 23h 12m" for a time `from_now` ahead, "5m 3s ago" for one behind.
std::string format_relative(std::chrono::seconds from_now);

} // namespace keap::util
