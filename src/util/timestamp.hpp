#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace keap::util {

using TimePoint = std::chrono::sys_seconds;

/// The current time, to the second (credential times are stored to the second).
TimePoint now_seconds();

/// RFC 3339 in UTC, e.g. "2026-11-27T07:22:50Z".
std::string format_rfc3339(TimePoint time);

/// Parses RFC 3339 with a "Z" or numeric offset and optional fractional seconds. Pure.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

} // namespace keap::util
