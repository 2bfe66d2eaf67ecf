#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/refresh_all.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"

#include <utility>

namespace keap::cli {

namespace {

RefreshConditions conditions_of(const RefreshOptions& options) {
  RefreshConditions conditions;
  conditions.force = options.force;
  if (options.if_older_than) {
    conditions.if_older_than = duration_value("--if-older-than", *options.if_older_than, true);
  }
  if (options.if_expires_within) {
    conditions.if_expires_within = duration_value("--if-expires-within", *options.if_expires_within, true);
  }
  return conditions;
}

void print_json(const Context& context, const oauth::RefreshResult& result, const RefreshConditions& conditions) {
  const auto& grant = result.grant;
  nlohmann::ordered_json out = {
      {"schema", 1},
      {"credentials_file", context.credentials_path()},
      {"kind", "oauth_grant"},
      {"refreshed", result.refreshed()},
      {"reason", result.refreshed() ? nlohmann::ordered_json(reason_code(result.reason)) : nullptr},
      {"reason_text", describe_reason(result.reason, conditions)},
      {"changed_while_waiting", result.changed_while_waiting},
      {"app", util::or_null<nlohmann::ordered_json>(grant.app)},
      {"access_token_expires_at", util::format_rfc3339(grant.expires_at)},
      {"refresh_token_obtained_at", util::format_rfc3339(grant.refresh_token_obtained_at)},
      {"warnings", result.warnings}};
  print_stdout(util::dump_json(out, 2));
}

/// A key never expires: there is nothing to refresh, which is a success.
int key_needs_nothing(const Context& context, const RefreshOptions& options, const ApiKey& key) {
  auto text = "nothing to refresh: the credentials are " + describe_key_kind(key.kind) + ", which does not expire";
  if (options.json) {
    nlohmann::ordered_json out = {{"schema", 1},
                                  {"credentials_file", context.credentials_path()},
                                  {"kind", "api_key"},
                                  {"refreshed", false},
                                  {"reason", nullptr},
                                  {"reason_text", text},
                                  {"changed_while_waiting", false},
                                  {"app", nullptr},
                                  {"access_token_expires_at", nullptr},
                                  {"refresh_token_obtained_at", nullptr},
                                  {"warnings", nlohmann::ordered_json::array()}};
    print_stdout(util::dump_json(out, 2));
  }
  context.say(text);
  return 0;
}

} // namespace

int run_refresh(const CommandLine& line) {
  const auto& options = line.refresh;
  auto conditions = conditions_of(options);
  auto context = open_context(line.global);
  if (options.all) {
    return run_refresh_all(context, options, conditions);
  }
  if (auto key = context.key()) {
    return key_needs_nothing(context, options, *key);
  }
  auto settings = context.refresh_settings();
  if (options.use_config_client) {
    settings.replacement_client = config_client(context.config);
  }
  bool explained = false; // the decision is made twice: lock-free, then under the lock
  auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, settings,
                                     [&](const OAuthGrant& grant, util::TimePoint now) {
                                       auto reason = refresh_reason(grant, conditions, now);
                                       if (reason != RefreshReason::none && !std::exchange(explained, true)) {
                                         explain_client_differences(context, grant, options.use_config_client);
                                       }
                                       return reason;
                                     });
  context.warn_all(result.warnings);
  if (options.json) {
    print_json(context, result, conditions);
  }
  if (result.changed_while_waiting) {
    context.say("the credentials changed while this refresh waited for the lock (another refresh or a login); it "
                "decided on what they hold now");
  }
  auto now = util::now_seconds();
  const auto& grant = result.grant;
  auto left = grant.expires_at - now;
  auto access = left.count() >= 0 ? "expires " + util::format_relative(left) : "expired " + util::format_relative(left);
  if (!result.refreshed()) {
    // A scheduled job that has nothing to do says nothing: cron mails whatever a job prints.
    context.note("nothing to do: the refresh token is " + util::format_duration(refresh_token_age(grant, now)) +
                 " old and the access token " + access);
    return 0;
  }
  context.say("refreshed because " + describe_reason(result.reason, conditions) + "; new pair saved to the " +
              context.store->describe(context.profile));
  context.say("the access token expires at " + util::format_rfc3339(grant.expires_at) + " (" +
              util::format_relative(left) + ")");
  return 0;
}

} // namespace keap::cli
