#include "cli/commands.hpp"
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

} // namespace

// The light executable answers a valid token itself (fast_path.cpp); this is everything else: a token
// to refresh first, a warning to give, or an error to report.
int run_token(const CommandLine& line) {
  const auto& options = line.token;
  auto min_valid = duration_value("--min-valid", options.min_valid, true);
  auto context = open_context(line.global);
  std::string token;
  try {
    auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, context.refresh_settings(),
                                       [&](const OAuthGrant& grant, util::TimePoint now) {
                                         return access_token_expires_within(grant, min_valid, now)
                                                    ? RefreshReason::access_token_expiring
                                                    : RefreshReason::none;
                                       });
    context.warn_all(result.warnings);
    token = result.grant.access_token;
  } catch (const Error& error) {
    auto fallback = still_valid_token(context, error);
    if (!fallback) {
      throw;
    }
    token = *fallback;
  }
  print_stdout((options.header ? "Authorization: Bearer " : "") + token + "\n");
  return 0;
}

} // namespace keap::cli
