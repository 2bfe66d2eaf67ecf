#pragma once

#include "core/defaults.hpp"
#include "core/expiry.hpp"
#include "net/http_client.hpp"
#include "net/retry_policy.hpp"
#include "oauth/token_client.hpp"
#include "store/credential_store.hpp"
#include "util/environment.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace keap::oauth {

/// How to refresh.
struct RefreshSettings {
  std::chrono::milliseconds lock_timeout = defaults::lock_timeout;
  net::RetryPolicy retry; ///< its deadline caps the whole exchange, so it fits inside a waiter's lock_timeout
  util::EnvironmentLookup environment; ///< where rescue files may go
  /// The client a refresh authenticates as is the one stored with the grant (the refresh token belongs
  /// to it); with a replacement (`refresh --use-config-client`), that one, stored with the new pair.
  std::optional<TokenEndpoint> replacement_client;
  /// For a grant stored without its secret (store_client_secret false): the secret from the config.
  std::string secret_if_missing;
  /// After a SIGINT or SIGTERM that came while the pair was being saved: throw exit 130 once it is
  /// safe (a command's way), or return the result as usual (`refresh --all`, which ends its own run).
  bool interrupt_after_save = true;
};

struct RefreshResult {
  OAuthGrant grant; ///< what the store holds now
  RefreshReason reason = RefreshReason::none;
  /// The credential changed while this process waited for the lock (another refresh or a login):
  /// the decision was made on what the store holds now.
  bool changed_while_waiting = false;
  std::vector<std::string> warnings; ///< from reading the credential (loose permissions, say)
  bool refreshed() const { return reason != RefreshReason::none; }
};

/// Decides, on the grant as re-read under the lock, whether a refresh is (still) due.
using RefreshDecision = std::function<RefreshReason(const OAuthGrant& grant, util::TimePoint now)>;

/// Single-flight refresh across processes: asks `decide` on a lock-free read (nothing due: no lock at
/// all), then takes the profile's lock, re-reads the credential, asks `decide` again, and if a refresh
/// is still due, refreshes and makes the new pair durable before releasing the lock or returning. So N
/// processes that find the same expired token cause one refresh, and all see its result. A rescue file
/// with a newer pair (store::pending_rescues) is Error (exit 4) naming the command that puts it in place.
///
/// From the moment the request may be sent until the new pair is committed (or rescued), SIGINT and
/// SIGTERM wait; if one came, the Error after the save is exit 130. A failure leaves the tokens as they
/// were and records itself with the credential (last_refresh_failure), so `status` can tell. A pair the
/// store refuses goes to a rescue file (store/rescue.hpp) named in the Error.
RefreshResult refresh_grant(store::CredentialStore& store, const std::string& profile, net::HttpClient& http,
                            const RefreshSettings& settings, const RefreshDecision& decide);

} // namespace keap::oauth
