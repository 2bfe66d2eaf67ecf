#pragma once

#include "api/authenticator.hpp"
#include "api/rate_limit.hpp"
#include "net/http_client.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace keap::api {

/// One call to Keap's REST API, before the credential is added.
struct ApiRequest {
  std::string method = "GET";
  util::Url url;
  net::Headers headers;
  std::string body; ///< always sent with a Content-Length, never chunked
  std::string content_type;

  /// GET, HEAD, PUT, DELETE, OPTIONS: safe to send again after a failure (RFC 9110 9.2.2).
  bool idempotent() const;
};

/// When a call is sent again.
struct ApiPolicy {
  int retries = 3;                       ///< --retry: extra attempts after a 429, a 5xx or a failed connection
  bool retry_unsafe = false;             ///< --retry-unsafe: retry 502/503/504 and lost answers for POST and PATCH too
  std::chrono::seconds longest_wait{60}; ///< all waits between attempts together
};

struct ApiAnswer {
  net::HttpResponse response;
  int attempts = 0;
  bool refreshed = false; ///< the OAuth grant was refreshed on the way (expiring, or after a 401)
  RateLimits rate_limits;
  bool quota_exhausted = false; ///< a 429 for the daily quota, which no retry can help
};

/// Sends API calls the way Keap needs them: the credential in its header, a 401 answered by one refresh
/// and one replay (OAuth only; never for a 403), a 429 retried with backoff and jitter (honouring
/// Retry-After, should Keap send it) unless the daily quota is gone, and 502/503/504 and lost answers
/// retried only for idempotent methods unless `retry_unsafe`. A connection never made is always
/// retried: nothing was sent.
class ApiClient {
public:
  ApiClient(net::HttpClient& http, Authenticator& authenticator, ApiPolicy policy);

  ApiAnswer send(const ApiRequest& request);

private:
  net::HttpClient& m_http;
  Authenticator& m_authenticator;
  ApiPolicy m_policy;
};

/// True for a 429 that means the day's quota is used up: its quota window (x-keap-product-quota-*) has
/// nothing left. Not the QuotaViolation body alone, which Keap sends for the minute throttle too.
bool daily_quota_exhausted(const net::HttpResponse& response, const RateLimits& limits);

} // namespace keap::api
