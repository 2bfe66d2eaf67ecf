#include "api/api_client.hpp"

#include "api/error_body.hpp"
#include "net/retry_policy.hpp"

#include <random>
#include <thread>

namespace keap::api {

namespace {

using Clock = std::chrono::steady_clock;

/// 1 s, 2 s, 4 s ... with up to half again as jitter, so clients that failed together do not retry
/// together.
std::chrono::milliseconds backoff(int attempt) {
  static thread_local std::mt19937 random{std::random_device{}()};
  auto base = std::chrono::milliseconds(1000LL << std::min(attempt - 1, 5));
  std::uniform_int_distribution<long long> jitter(0, base.count() / 2);
  return base + std::chrono::milliseconds(jitter(random));
}

bool gateway_trouble(int status) { return status == 502 || status == 503 || status == 504; }

} // namespace

bool ApiRequest::idempotent() const {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

bool daily_quota_exhausted(const net::HttpResponse& response, const RateLimits& limits) {
  if (response.status != 429) {
    return false;
  }
  // The headers decide, not the body: Keap's gateway answers the minute throttle with the same
  // QuotaViolation fault as the day's quota.
  for (const auto& window : limits.windows) {
    if (window.name == "quota" && window.available && *window.available == 0) {
      return true;
    }
  }
  return false;
}

ApiClient::ApiClient(net::HttpClient& http, Authenticator& authenticator, ApiPolicy policy)
    : m_http(http), m_authenticator(authenticator), m_policy(policy) {}

ApiAnswer ApiClient::send(const ApiRequest& request) {
  ApiAnswer answer;
  bool replayed_after_401 = false;
  auto waited = std::chrono::milliseconds(0);
  auto log = m_http.options().log;
  // Waits before another attempt, if attempts and the wait budget allow it.
  auto wait = [&](std::chrono::milliseconds pause, const std::string& why) {
    if (answer.attempts > m_policy.retries || waited + pause > m_policy.longest_wait) {
      return false;
    }
    if (log) {
      log(why + "; trying again in " + std::to_string(pause.count()) + " ms (attempt " +
          std::to_string(answer.attempts + 1) + " of " + std::to_string(m_policy.retries + 1) + ")");
    }
    std::this_thread::sleep_for(pause);
    waited += pause;
    return true;
  };
  for (;;) {
    net::HttpRequest http_request{request.method, request.url, request.headers, request.body, request.content_type};
    m_authenticator.authorize(http_request);
    ++answer.attempts;
    try {
      answer.response = m_http.send(http_request);
    } catch (const net::TransportError& error) {
      bool may_repeat = error.retryable() || ((request.idempotent() || m_policy.retry_unsafe) &&
                                              error.failure() != net::TransportFailure::tls_verification);
      if (may_repeat && wait(backoff(answer.attempts), error.what())) {
        continue;
      }
      throw;
    }
    answer.rate_limits = parse_rate_limits(answer.response.headers);
    auto status = answer.response.status;
    if (status == 401 && !replayed_after_401) {
      replayed_after_401 = true;
      if (m_authenticator.recover()) {
        continue; // the same request once more, with the new token
      }
    } else if (status == 429) {
      answer.quota_exhausted = daily_quota_exhausted(answer.response, answer.rate_limits);
      auto retry_after = net::parse_retry_after(answer.response.header("retry-after"), util::now_seconds());
      auto pause =
          retry_after ? std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after) : backoff(answer.attempts);
      // A gateway 429 is refused before Keap's app sees it, so even a POST may be sent again.
      if (!answer.quota_exhausted && wait(pause, "rate limited (HTTP 429)")) {
        continue;
      }
    } else if (gateway_trouble(status) && (request.idempotent() || m_policy.retry_unsafe) &&
               wait(backoff(answer.attempts), "HTTP " + std::to_string(status))) {
      continue;
    }
    answer.refreshed = m_authenticator.refreshed();
    return answer;
  }
}

} // namespace keap::api
