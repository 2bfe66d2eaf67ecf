#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "oauth/userinfo.hpp"
#include "util/json.hpp"

namespace keap::cli {

namespace {

std::optional<std::string> app_of(const nlohmann::json& user, const OAuthGrant& grant) {
  return grant.app ? grant.app : app_from_scope("|" + util::string_member(user, "infusionsoft_id").value_or(""));
}

std::string describe_user(const nlohmann::json& user, const OAuthGrant& grant) {
  auto text = [&](const char* name) { return util::string_member(user, name).value_or(""); };
  auto name = text("preferred_name");
  if (name.empty()) {
    name = text("given_name") + (text("family_name").empty() ? "" : " " + text("family_name"));
  }
  std::string who = name.empty() ? "(no name)" : name;
  if (!text("email").empty()) {
    who += " <" + text("email") + ">";
  }
  return who + ", Keap app " + display_app(app_of(user, grant));
}

} // namespace

int run_whoami(const CommandLine& line) {
  auto context = open_context(line.global);
  auto userinfo_url = *util::parse_url(context.config.userinfo_url);
  auto settings = context.refresh_settings();

  // Refresh first if the token is (nearly) expired.
  auto current = oauth::refresh_grant(
      *context.store, context.profile, *context.http, settings, [](const OAuthGrant& grant, util::TimePoint now) {
        return access_token_expires_within(grant, std::chrono::seconds(0), now) ? RefreshReason::access_token_expiring
                                                                                : RefreshReason::none;
      });
  context.warn_all(current.warnings);
  auto grant = current.grant;
  auto user = oauth::fetch_userinfo(*context.http, userinfo_url, grant.access_token);
  if (!user) {
    // 401: refresh once, unless another process already replaced the rejected token, and retry.
    auto rejected = grant.access_token;
    grant = oauth::refresh_grant(*context.store, context.profile, *context.http, settings,
                                 [&](const OAuthGrant& stored, util::TimePoint) {
                                   return stored.access_token == rejected ? RefreshReason::access_token_rejected
                                                                          : RefreshReason::none;
                                 })
                .grant;
    user = oauth::fetch_userinfo(*context.http, userinfo_url, grant.access_token);
  }
  if (!user) {
    throw Error(ExitCode::relogin,
                "the userinfo endpoint " + userinfo_url.without_query() +
                    " rejected the access token even after a refresh (HTTP 401)",
                "run `keap-auth login` again; if it keeps happening, check userinfo_url");
  }
  if (line.whoami.json) {
    nlohmann::ordered_json out = {{"schema", 1},
                                  {"user", *user},
                                  {"app", util::or_null<nlohmann::ordered_json>(app_of(*user, grant))},
                                  {"credentials_file", context.credentials_path()}};
    print_stdout(util::dump_json(out, 2));
  } else {
    print_stdout(describe_user(*user, grant) + "\n");
  }
  return 0;
}

} // namespace keap::cli
