#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "duration.hpp"

namespace keap::cli {

int run_refresh(const GlobalOptions& global, const RefreshOptions& options) {
  RefreshConditions conditions;
  conditions.force = options.force;
  if (options.if_older_than) {
    conditions.if_older_than = duration_flag("--if-older-than", *options.if_older_than);
  }
  if (options.if_expires_within) {
    conditions.if_expires_within = duration_flag("--if-expires-within", *options.if_expires_within);
  }
  auto config = load_config(global.config, process_environment());
  auto settings = refresh_settings(config, global, options.lock_timeout);
  auto result = refresh_credentials(settings, [&](const Credentials& credentials, TimePoint now) {
    return refresh_reason(credentials, conditions, now);
  });
  auto now = now_seconds();
  const auto& credentials = result.credentials;
  if (!result.refreshed()) {
    say("nothing to do: the refresh token is " + format_duration(refresh_token_age(credentials, now)) +
        " old and the access token expires " + format_relative(credentials.expires_at - now));
    return 0;
  }
  say("refreshed because " + describe(result.reason, conditions) + "; new pair saved to " + config.credentials_file);
  say("the access token expires at " + format_rfc3339(credentials.expires_at) + " (" +
      format_relative(credentials.expires_at - now) + ")");
  return 0;
}

} // namespace keap::cli
