#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "oauth/userinfo.hpp"
#include "term/output.hpp"
#include "util/json.hpp"

#include <CLI/CLI.hpp>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct WhoamiOptions {
  bool json = false;
};

void define(CLI::App& whoami, WhoamiOptions& options, GlobalOptions& global) {
  whoami.add_flag("--json", options.json, "Print the user as JSON on stdout");
  add_config_flag(whoami, global, "lock_timeout");
}

std::optional<std::string> app_of(const nlohmann::json& user, const OAuthGrant* grant) {
  return grant && grant->app ? grant->app
                             : app_from_scope("|" + util::string_member(user, "infusionsoft_id").value_or(""));
}

std::string describe_user(const nlohmann::json& user, const OAuthGrant* grant) {
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

/// The user behind a grant: refreshed first when expired, and once more after a 401 unless another
/// process already replaced the rejected token.
std::pair<nlohmann::json, OAuthGrant> user_of_grant(Context& context, const util::Url& userinfo_url) {
  auto settings = context.refresh_settings();
  auto current = oauth::refresh_grant(
      *context.store, context.profile, *context.http, settings, [](const OAuthGrant& grant, util::TimePoint now) {
        return access_token_expires_within(grant, std::chrono::seconds(0), now) ? RefreshReason::access_token_expiring
                                                                                : RefreshReason::none;
      });
  context.warn_all(current.warnings);
  auto grant = current.grant;
  auto user = oauth::fetch_userinfo(*context.http, userinfo_url, grant);
  if (!user) {
    auto rejected = grant.access_token;
    grant = oauth::refresh_grant(*context.store, context.profile, *context.http, settings,
                                 [&](const OAuthGrant& stored, util::TimePoint) {
                                   return stored.access_token == rejected ? RefreshReason::access_token_rejected
                                                                          : RefreshReason::none;
                                 })
                .grant;
    user = oauth::fetch_userinfo(*context.http, userinfo_url, grant);
  }
  if (!user) {
    throw Error(ExitCode::relogin,
                "the userinfo endpoint " + userinfo_url.without_query() +
                    " rejected the access token even after a refresh (HTTP 401)",
                "run `keap-auth login` again; if it keeps happening, check userinfo_url");
  }
  return {*user, grant};
}

/// A key: userinfo is an OAuth endpoint, and whether Keap answers it for keys is not documented.
nlohmann::json user_of_key(Context& context, const util::Url& userinfo_url, const ApiKey& key) {
  auto user = oauth::fetch_userinfo(*context.http, userinfo_url, key);
  if (!user) {
    throw Error(ExitCode::api_refused,
                "Keap's userinfo endpoint " + userinfo_url.without_query() + " did not answer for " +
                    describe_key_kind(key.kind) +
                    " (HTTP 401): it serves OAuth tokens, and Keap does not say "
                    "that it answers keys",
                "to check that the key itself works, run `keap-auth api v1/account/profile` (a 401 there means "
                "Keap does not accept the key)");
  }
  return *user;
}

int run(const WhoamiOptions& options, const GlobalOptions& global) {
  auto context = open_context(global);
  auto userinfo_url = *util::parse_url(context.config.userinfo_url);
  auto credential = context.credential();
  context.check_destination("userinfo_url", userinfo_url, credential);
  nlohmann::json user;
  std::optional<OAuthGrant> grant;
  if (const auto* key = std::get_if<ApiKey>(&credential)) {
    user = user_of_key(context, userinfo_url, *key);
  } else {
    std::tie(user, grant) = user_of_grant(context, userinfo_url);
  }
  const auto* used = grant ? &*grant : nullptr;
  if (options.json) {
    nlohmann::ordered_json out = {{"schema", 1},
                                  {"user", user},
                                  {"app", util::or_null<nlohmann::ordered_json>(app_of(user, used))},
                                  {"credentials_file", context.credentials_path()}};
    print_stdout(util::dump_json(out, 2));
  } else {
    print_stdout(describe_user(user, used) + "\n");
  }
  return 0;
}

} // namespace

std::unique_ptr<Command> whoami_command() {
  return make_command<WhoamiOptions>(
      {"whoami", "Ask Keap who the token belongs to", define, {}, run, [](const WhoamiOptions& options) {
         return options.json;
       }});
}

} // namespace keap::commands
