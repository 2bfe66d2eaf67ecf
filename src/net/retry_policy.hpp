#pragma once

#include "core/defaults.hpp"
#include "net/http_client.hpp"
#include "util/timestamp.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace keap::net {

/// Parses a Retry-After value (RFC 9110 10.2.3): delay-seconds, or an HTTP-date in any of the three
/// forms recipients must accept, taken relative to `now` (a date in the past is 0). Nothing for anything
/// else. Pure.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, util::TimePoint now);

/// When a request is sent again. Never resends what may have been processed: only a connection that
/// was never made (nothing was sent) and a 429 (refused before processing) are retried, and nothing is
/// waited for past the deadline.
struct RetryPolicy {
  int connect_attempts = 3;
  int rate_limit_retries = 2;
  std::chrono::seconds longest_rate_limit_wait{30};           ///< a longer Retry-After ends the command instead
  std::chrono::seconds default_rate_limit_wait{5};            ///< when a 429 says nothing
  std::chrono::seconds deadline = defaults::refresh_deadline; ///< the whole exchange, retries and waits included
};

/// Sends `request` under `policy`: returns the last answer (any status) or throws the last
/// TransportError. Each retry is told to the client's log.
HttpResponse send_with_retries(HttpClient& client, const HttpRequest& request, const RetryPolicy& policy);

} // namespace keap::net
