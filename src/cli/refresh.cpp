#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "util/duration.hpp"

namespace keap::cli {

int run_refresh(const CommandLine& line) {
  const auto& options = line.refresh;
  RefreshConditions conditions;
  conditions.force = options.force;
  if (options.if_older_than) {
    conditions.if_older_than = duration_value("--if-older-than", *options.if_older_than, true);
  }
  if (options.if_expires_within) {
    conditions.if_expires_within = duration_value("--if-expires-within", *options.if_expires_within, true);
  }
  auto context = open_context(line.global);
  auto result = oauth::refresh_grant(
      *context.store, context.profile, *context.http, context.refresh_settings(),
      [&](const OAuthGrant& grant, util::TimePoint now) { return refresh_reason(grant, conditions, now); });
  context.warn_all(result.warnings);
  if (result.changed_while_waiting) {
    say("the credentials changed while this refresh waited for the lock (another refresh or a login); it decided "
        "on what they hold now");
  }
  auto now = util::now_seconds();
  const auto& grant = result.grant;
  if (!result.refreshed()) {
    say("nothing to do: the refresh token is " + util::format_duration(refresh_token_age(grant, now)) +
        " old and the access token expires " + util::format_relative(grant.expires_at - now));
    return 0;
  }
  say("refreshed because " + describe_reason(result.reason, conditions) + "; new pair saved to " +
      context.store->describe(context.profile));
  say("the access token expires at " + util::format_rfc3339(grant.expires_at) + " (" +
      util::format_relative(grant.expires_at - now) + ")");
  return 0;
}

} // namespace keap::cli
