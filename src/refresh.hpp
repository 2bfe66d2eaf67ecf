#pragma once

#include "config.hpp"
#include "credentials.hpp"
#include "expiry.hpp"
#include "http_client.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace keap {

/// How to refresh one credentials file.
struct RefreshSettings {
  std::string credentials_file;
  TokenAuth token_auth = TokenAuth::keap;
  HttpOptions http;
  std::chrono::milliseconds lock_timeout{60000};
};

struct RefreshResult {
  Credentials credentials; ///< what the file holds now
  RefreshReason reason = RefreshReason::none;
  bool refreshed() const { return reason != RefreshReason::none; }
};

/// Decides, on the credentials as re-read under the lock, whether a refresh is (still) due.
using RefreshDecision = std::function<RefreshReason(const Credentials&, TimePoint now)>;

/// Single-flight refresh across processes: takes the flock beside the credentials file, re-reads the
/// file, asks `decide`, and if a refresh is due, refreshes and makes the new pair durable (atomic
/// write) before releasing the lock or returning. So N processes that find the same expired token
/// cause one refresh, and all see its result.
///
/// Failures leave the file byte-for-byte as it was. If the new pair cannot be written, it is saved to
/// a rescue file (0600) and the Error names it; if no rescue file can be written either, the Error
/// says plainly that the new refresh token is lost (and, only when stderr is a terminal, its text
/// carries the pair so a person can still save it).
RefreshResult refresh_credentials(const RefreshSettings& settings, const RefreshDecision& decide);

/// The credentials after a refresh: new pair, new times, everything else kept. Pure.
Credentials rotated_credentials(const Credentials& old, const TokenResponse& response, TimePoint received_at);

} // namespace keap
