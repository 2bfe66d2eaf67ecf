#include "cli/commands.hpp"
#include "cli/input.hpp"
#include "cli/output.hpp"
#include "util/duration.hpp"

namespace keap::cli {

namespace {

/// The stored access token when a refresh failed but the token still works for more than the safety
/// margin: a service keeps running while the token endpoint is down (as gcloud and Google's auth
/// libraries do), and the warning says what failed.
std::optional<std::string> still_valid_token(const Context& context, const Error& failure) {
  if (failure.code() != ExitCode::unavailable && failure.code() != ExitCode::relogin) {
    return std::nullopt;
  }
  try {
    auto loaded = context.store->load(context.profile);
    const auto* grant = loaded ? std::get_if<OAuthGrant>(&loaded->credential) : nullptr;
    auto now = util::now_seconds();
    if (!grant || access_token_expires_within(*grant, std::chrono::seconds(0), now)) {
      return std::nullopt;
    }
    context.warn(std::string(failure.what()) + "; printing the stored access token, which is still valid for " +
                 util::format_duration(grant->expires_at - now));
    if (!failure.hint().empty()) {
      context.warn(failure.hint());
    }
    return grant->access_token;
  } catch (const Error&) {
    return std::nullopt;
  }
}

/// The token to print: the stored one while it stays valid for `min_valid`, else a refreshed one (or,
/// when the refresh fails, a stored one that is still valid).
std::string current_token(const Context& context, std::chrono::seconds min_valid) {
  try {
    auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, context.refresh_settings(),
                                       [&](const OAuthGrant& grant, util::TimePoint now) {
                                         return access_token_expires_within(grant, min_valid, now)
                                                    ? RefreshReason::access_token_expiring
                                                    : RefreshReason::none;
                                       });
    context.warn_all(result.warnings);
    return result.grant.access_token;
  } catch (const Error& error) {
    if (auto fallback = still_valid_token(context, error)) {
      return *fallback;
    }
    throw;
  }
}

/// --rejected: the store's token when it is not the one that just got a 401 (another process
/// refreshed), else one refresh under the lock. Never the rejected token again.
std::string replacement_token(const Context& context, const std::string& rejected) {
  auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, context.refresh_settings(),
                                     [&](const OAuthGrant& grant, util::TimePoint) {
                                       return grant.access_token == rejected ? RefreshReason::access_token_rejected
                                                                             : RefreshReason::none;
                                     });
  context.warn_all(result.warnings);
  if (result.grant.access_token == rejected) {
    throw Error(ExitCode::relogin, "the refreshed access token is the one that was rejected",
                "the token endpoint gave the same token back: run `keap-auth login`");
  }
  return result.grant.access_token;
}

} // namespace

// The light executable answers a valid token itself (fast_path.cpp); this is everything else: a key, a
// token to refresh first, a rejected token to replace, a warning to give, or an error to report.
int run_token(const CommandLine& line) {
  const auto& options = line.token;
  auto min_valid = duration_value("--min-valid", options.min_valid, true);
  auto context = open_context(line.global);
  std::optional<std::string> rejected;
  if (options.rejected) {
    // The token, or the header line `token --header` printed: a client holding that passes it back as is.
    rejected = read_secret("the rejected token", {"Authorization: Bearer ", "X-Keap-API-Key: "});
  }
  Credential credential = context.credential();
  std::string secret;
  if (auto* key = std::get_if<ApiKey>(&credential)) {
    if (rejected && *rejected == key->key) {
      throw Error(ExitCode::relogin, "Keap rejected " + describe_key_kind(key->kind) + ", and keys are not refreshed",
                  "a key goes in X-Keap-API-Key (an OAuth token in Authorization: Bearer); if that was so, create a "
                  "new key in Keap and store it with `keap-auth login --api-key-file FILE`");
    }
    secret = key->key;
  } else {
    secret = rejected ? replacement_token(context, *rejected) : current_token(context, min_valid);
    std::get<OAuthGrant>(credential).access_token = secret;
  }
  auto header = credential_header(credential);
  try {
    print_stdout((options.header ? header.first + ": " + header.second : secret) + "\n");
  } catch (const Error& error) {
    throw loud_output(error);
  }
  return 0;
}

} // namespace keap::cli
