#include "oauth/refresh.hpp"

#include "oauth/token_client.hpp"
#include "store/rescue.hpp"
#include "util/crash_point.hpp"
#include "util/json.hpp"
#include "util/signals.hpp"

namespace keap::oauth {

namespace {

/// A rescue file that holds a newer pair than the store means the stored refresh token is dead (a
/// refresh rotated it, and the new pair could not be stored): sending it would only fail. Until the
/// file is in place, every refresh says how to put it there.
void refuse_if_rescued(store::CredentialStore& store, const std::string& profile,
                       const util::EnvironmentLookup& environment) {
  auto rescued = store::pending_rescues(store, profile, environment);
  if (!rescued.empty()) {
    throw Error(ExitCode::relogin,
                "the " + store.describe(profile) + " holds an older pair than the rescue file " + rescued.front().path +
                    " (saved when the new pair could not be stored), so its refresh token is "
                    "dead; nothing was sent",
                "put the newer pair in place: `" + rescued.front().restore + "`");
  }
}

store::StoredCredential read_or_relogin(const std::optional<store::StoredCredential>& loaded,
                                        const store::CredentialStore& store, const std::string& profile) {
  if (!loaded) {
    throw Error(ExitCode::relogin, "no credentials in " + store.describe(profile), "run `keap-auth login` first");
  }
  return *loaded;
}

/// The failure, kept with the credential for `status`. Best effort: a store that cannot take it changes
/// nothing about the failure being reported.
void record_failure(store::Transaction& transaction, const OAuthGrant& current, const Error& error) {
  if (error.code() == ExitCode::interrupted) {
    return;
  }
  auto marked = current;
  marked.last_refresh_failure = RefreshFailure{util::now_seconds(),
                                               error.code() == ExitCode::relogin       ? "rejected"
                                               : error.code() == ExitCode::unavailable ? "unavailable"
                                                                                       : "failed",
                                               error.what()};
  try {
    transaction.commit(marked);
  } catch (const std::exception&) {
  }
}

/// Who the refresh authenticates as (see RefreshSettings).
TokenEndpoint client_for(const OAuthGrant& current, const std::string& origin, const RefreshSettings& settings) {
  if (settings.replacement_client) {
    return *settings.replacement_client;
  }
  auto endpoint = endpoint_of(current, origin);
  if (endpoint.client_secret.empty()) {
    if (settings.secret_if_missing.empty()) {
      throw Error(ExitCode::usage,
                  origin + " holds no client secret (it was logged in with store_client_secret false), and none is "
                           "configured",
                  "set client_secret in the config, KEAP_CLIENT_SECRET, or --client-secret-file");
    }
    endpoint.client_secret = settings.secret_if_missing;
  }
  return endpoint;
}

/// The grant as stored after a refresh: with the replacement client, when there was one.
OAuthGrant stored_form(OAuthGrant fresh, const OAuthGrant& current, const RefreshSettings& settings) {
  if (settings.replacement_client) {
    const auto& client = *settings.replacement_client;
    fresh.client_id = client.client_id;
    fresh.client_secret = current.client_secret.empty() ? "" : client.client_secret;
    fresh.token_url = client.url.to_string();
    fresh.token_auth = client.auth;
  }
  fresh.last_refresh_failure.reset();
  return fresh;
}

/// A 200 answer that is unusable (say, an absurd expires_in) may still carry a refresh token the server
/// has just issued, while the one we sent is already dead. Keep that answer (0600) rather than drop it;
/// the stored credential itself stays untouched, as for every failure.
std::optional<std::string> keep_unusable_answer(store::CredentialStore& store, const std::string& profile,
                                                const OAuthGrant& current, const net::HttpResponse& response,
                                                const RefreshSettings& settings) {
  auto token = util::string_member(util::parse_json(response.body), "refresh_token");
  if (response.status != 200 || !token || token->empty() || *token == current.refresh_token) {
    return std::nullopt;
  }
  auto [folder, stem] = store.rescue_location(profile);
  // Not STEM.rescue-*: this is a raw answer, not a credentials file to put in place.
  return store::write_rescue_file(store::rescue_folders(folder, settings.environment), stem + ".answer",
                                  response.body + "\n");
}

/// Steps 7-10 of the protocol: send, read, commit or rescue. Runs with interrupts deferred.
OAuthGrant exchange_and_commit(store::CredentialStore& store, store::Transaction& transaction,
                               const std::string& profile, const OAuthGrant& current, net::HttpClient& http,
                               const RefreshSettings& settings) {
  auto endpoint = client_for(current, store.describe(profile), settings);
  TokenResponse tokens;
  try {
    auto response = send_refresh(http, endpoint, current.refresh_token, settings.retry);
    util::crash_point("after-answer");
    try {
      tokens = interpret_token_response(response, endpoint.url.without_query(), Grant::refresh_token);
    } catch (const Error& error) {
      if (auto kept = keep_unusable_answer(store, profile, current, response, settings)) {
        throw Error(error.code(),
                    std::string(error.what()) + "; the answer carried a new refresh token, kept as it came in " + *kept,
                    "the stored tokens were not changed; if the next refresh fails with exit 4, the token in that "
                    "file may still work: put it into the credentials by hand");
      }
      throw;
    }
  } catch (const Error& error) {
    record_failure(transaction, current, error);
    throw;
  }
  auto fresh = stored_form(rotated_grant(current, tokens, util::now_seconds()), current, settings);
  try {
    transaction.commit(fresh);
  } catch (const Error& failure) {
    if (!failure.rescue_file().empty()) {
      throw; // the store kept the pair safe itself (a shared store's journal)
    }
    throw store::rescue(store, profile, fresh, failure, store::RescueCause::rotation, settings.environment);
  }
  util::crash_point("after-commit");
  return fresh;
}

} // namespace

RefreshResult refresh_grant(store::CredentialStore& store, const std::string& profile, net::HttpClient& http,
                            const RefreshSettings& settings, const RefreshDecision& decide) {
  // "run login" before waiting for any lock.
  auto unlocked = read_or_relogin(store.read_credential(profile), store, profile);
  auto before = as_grant(unlocked.credential, "refresh");
  refuse_if_rescued(store, profile, settings.environment);
  // Decided on the lock-free read first: a token that is still good waits for nobody's refresh.
  if (decide(before, util::now_seconds()) == RefreshReason::none) {
    return {before, RefreshReason::none, false, unlocked.warnings};
  }
  auto transaction = store.lock(profile, settings.lock_timeout);
  util::crash_point("after-lock");
  // Another process may have refreshed (or logged in) while we waited: decide on what is there now.
  auto loaded = read_or_relogin(transaction->current(), store, profile);
  RefreshResult result{as_grant(loaded.credential, "refresh"), RefreshReason::none, false, loaded.warnings};
  result.changed_while_waiting = result.grant.refresh_token != before.refresh_token;
  result.reason = decide(result.grant, transaction->now());
  if (!result.refreshed()) {
    return result;
  }
  {
    util::DeferInterrupts critical;
    result.grant = exchange_and_commit(store, *transaction, profile, result.grant, http, settings);
  }
  if (util::interrupt_requested() && settings.interrupt_after_save) {
    throw Error(ExitCode::interrupted, "interrupted; the refresh had been sent, so keap-auth finished saving the new "
                                       "pair to " +
                                           store.describe(profile) + " first");
  }
  return result;
}

} // namespace keap::oauth
