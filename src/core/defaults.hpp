#pragma once

#include <chrono>

/// The waits that the configuration and the libraries under it share, stated once: Config starts from
/// them, and so do HttpOptions, RetryPolicy and RefreshSettings when a test or a tool builds one alone.
namespace keap::defaults {

inline constexpr std::chrono::seconds connect_timeout{10};
/// Keap's token endpoint takes tens of seconds when busy.
inline constexpr std::chrono::seconds read_timeout{40};
/// A whole token exchange, retries included: connect + 2 x read fits once.
inline constexpr std::chrono::seconds refresh_deadline{90};
/// How much longer than a holder's refresh_deadline a waiter waits for its lock, so a waiter never gives
/// up on a holder that is within its rights.
inline constexpr std::chrono::seconds lock_margin{30};
inline constexpr std::chrono::seconds lock_timeout = refresh_deadline + lock_margin;

} // namespace keap::defaults
