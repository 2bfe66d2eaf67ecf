#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "credential_store.hpp"
#include "userinfo.hpp"

namespace keap::cli {

namespace {

std::string text_of(const nlohmann::json& user, const char* name) {
  auto it = user.find(name);
  return it != user.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string describe_user(const nlohmann::json& user, const Credentials& credentials) {
  auto name = text_of(user, "preferred_name");
  if (name.empty()) {
    name = text_of(user, "given_name") + (text_of(user, "family_name").empty() ? "" : " " + text_of(user, "family_name"));
  }
  auto email = text_of(user, "email");
  std::string who = name.empty() ? "(no name)" : name;
  if (!email.empty()) {
    who += " <" + email + ">";
  }
  auto app = credentials.app.value_or(text_of(user, "infusionsoft_id"));
  return who + ", Keap app " + (app.empty() ? "(not named)" : app);
}

} // namespace

int run_whoami(const GlobalOptions& global, const WhoamiOptions& options) {
  auto config = load_config(global.config, process_environment());
  auto userinfo_url = *parse_url(config.userinfo_url);
  auto settings = refresh_settings(config, global, options.lock_timeout);
  auto http = http_options(config, global);

  // Refresh first if the token is (nearly) expired.
  auto current = refresh_credentials(settings, [](const Credentials& credentials, TimePoint now) {
                   return access_token_expires_within(credentials, std::chrono::seconds(0), now)
                              ? RefreshReason::access_token_expiring
                              : RefreshReason::none;
                 }).credentials;
  auto user = fetch_userinfo(userinfo_url, current.access_token, http);
  if (!user) {
    // 401: refresh once, unless another process already replaced the rejected token, and retry.
    auto rejected = current.access_token;
    current = refresh_credentials(settings, [&](const Credentials& credentials, TimePoint) {
                return credentials.access_token == rejected ? RefreshReason::unconditional : RefreshReason::none;
              }).credentials;
    user = fetch_userinfo(userinfo_url, current.access_token, http);
  }
  if (!user) {
    throw Error(ExitCode::relogin,
                "the userinfo endpoint " + userinfo_url.origin() + userinfo_url.path +
                    " rejected the access token even after a refresh (HTTP 401)",
                "run `keap-auth login` again; if it keeps happening, check userinfo_url");
  }
  if (options.json) {
    print_stdout(user->dump(2) + "\n");
  } else {
    print_stdout(describe_user(*user, current) + "\n");
  }
  return 0;
}

} // namespace keap::cli
