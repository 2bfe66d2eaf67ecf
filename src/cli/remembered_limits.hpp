#pragma once

#include "api/rate_limit.hpp"
#include "cli/context.hpp"

#include <optional>
#include <utility>

/// The last rate limits Keap reported, kept beside the credentials (0600, no secret) for `status`.
namespace keap::cli {

/// The suffix of the file beside the credentials that keeps them.
inline constexpr const char* k_rate_limit_suffix = ".rate-limits";

/// Keeps `limits` for `status`, and warns once when a window falls under 5% left.
void remember_rate_limits(const Context& context, const api::RateLimits& limits);

/// The remembered state and when it was seen.
std::optional<std::pair<api::RateLimits, util::TimePoint>> remembered_rate_limits(const Context& context);

} // namespace keap::cli
