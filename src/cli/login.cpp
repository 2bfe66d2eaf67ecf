#include "browser.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "credential_store.hpp"
#include "receiver.hpp"
#include "token_client.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

namespace keap::cli {

namespace {

std::string app_name(const std::optional<std::string>& app) { return app ? "\"" + *app + "\"" : "(none named)"; }

/// The file being replaced, if any. A damaged file is no reason to refuse a fresh login: that is the fix.
std::optional<Credentials> existing_credentials(const std::string& path) {
  try {
    return load_credentials(path);
  } catch (const Error& error) {
    warn(std::string(error.what()) + "; a successful login will replace it");
    return std::nullopt;
  }
}

void check_same_client(const std::optional<Credentials>& existing, const Config& config, bool force) {
  if (existing && existing->client_id != config.client_id && !force) {
    throw Error(ExitCode::usage,
                "credentials file " + config.credentials_file + " belongs to client_id " + existing->client_id +
                    ", not " + config.client_id + "; nothing was changed",
                "use another --credentials file, or run again with --force to replace it");
  }
}

void check_same_app(const std::optional<Credentials>& existing, const Credentials& fresh, const std::string& path,
                    bool force) {
  if (existing && existing->app != fresh.app && !force) {
    throw Error(ExitCode::usage,
                "credentials file " + path + " holds Keap app " + app_name(existing->app) +
                    " but this login granted app " + app_name(fresh.app) + "; the file was left as it was",
                "to replace it, run `keap-auth login --force`; to keep both, use another --credentials file");
  }
}

std::string describe_callback_error(const Callback& callback) {
  std::string text = "the authorization server answered error=" + printable_excerpt(*callback.error);
  if (callback.error_description) {
    text += " (" + printable_excerpt(*callback.error_description) + ")";
  }
  return text;
}

Callback wait_for_browser(Receiver& receiver, int timeout_seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  const auto& interrupted = interrupt_flag();
  auto callback = receiver.wait_for_callback(deadline, interrupted);
  if (callback) {
    return *callback;
  }
  if (interrupted) {
    throw Error(ExitCode::interrupted, "login interrupted; nothing was written");
  }
  throw Error(ExitCode::denied,
              "no answer from the browser within " + std::to_string(timeout_seconds) + " seconds; nothing was written",
              "run `keap-auth login` again and finish signing in within the time, or raise --timeout");
}

Credentials exchange(const Config& config, const Receiver& receiver, const AuthorizationRequest& request,
                     const std::string& code) {
  TokenEndpoint endpoint{*parse_url(config.token_url), config.token_auth, config.client_id, config.client_secret, {}};
  endpoint.http = http_options(config);
  try {
    auto response = exchange_code(endpoint, code, receiver.redirect_uri(), request.code_verifier);
    return make_credentials(response, {config.client_id, config.client_secret, config.token_url}, now_seconds());
  } catch (const Error& error) {
    if (error.code() == ExitCode::failure && config.pkce) {
      throw Error(error.code(), error.what(),
                  "if this server does not support PKCE, set \"pkce\": false in the config and log in again");
    }
    throw;
  }
}

void print_summary(const Credentials& credentials, const std::string& path, bool json) {
  say("signed in to Keap app " + app_name(credentials.app) + " (scope " + credentials.scope + ")");
  say("credentials saved to " + path + " (mode 0600); the access token expires at " +
      format_rfc3339(credentials.expires_at));
  if (json) {
    nlohmann::ordered_json summary = {{"credentials_file", path},
                              {"app", credentials.app ? nlohmann::ordered_json(*credentials.app) : nlohmann::ordered_json(nullptr)},
                              {"scope", credentials.scope},
                              {"client_id", credentials.client_id},
                              {"token_url", credentials.token_url},
                              {"obtained_at", format_rfc3339(credentials.obtained_at)},
                              {"expires_at", format_rfc3339(credentials.expires_at)}};
    print_stdout(summary.dump(2) + "\n");
  }
}

} // namespace

int run_login(const GlobalOptions& global, const LoginOptions& options) {
  Config config = load_config(global.config, process_environment());
  require_client_credentials(config);
  auto existing = existing_credentials(config.credentials_file);
  check_same_client(existing, config, options.force);

  auto request = new_authorization_request(config.pkce);
  Receiver receiver(*parse_url(config.redirect_uri), request.state);
  auto url = authorize_url(*parse_url(config.authorize_url),
                           {config.client_id, receiver.redirect_uri(), config.scope}, request);
  say("waiting for the browser on " + receiver.redirect_uri());
  say(std::string("open this URL to sign in to Keap") + (options.no_browser ? "" : " (it is also being opened for you)") +
      ":\n\n  " + url + "\n");
  if (!options.no_browser) {
    const char* browser = std::getenv("BROWSER");
    if (auto problem = start_browser(browser_command(browser ? browser : "", url))) {
      warn(*problem + "; open the URL above yourself");
    }
  }

  auto callback = wait_for_browser(receiver, options.timeout_seconds);
  if (callback.error) {
    Error denied(ExitCode::denied, describe_callback_error(callback) + "; nothing was written",
                 "run `keap-auth login` again and choose Allow");
    receiver.finish({false, "Access was not granted", denied.what(), denied.hint(), ""});
    receiver.wait_until_shown(std::chrono::seconds(2));
    throw denied;
  }
  std::string path = std::filesystem::absolute(config.credentials_file).lexically_normal().string();
  try {
    auto credentials = exchange(config, receiver, request, *callback.code);
    check_same_app(existing, credentials, config.credentials_file, options.force);
    save_credentials(config.credentials_file, credentials);
    receiver.finish({true, "Signed in", "Signed in to Keap app " + app_name(credentials.app) + ".", "", path});
    receiver.wait_until_shown(std::chrono::seconds(5));
    print_summary(credentials, path, options.json);
  } catch (const Error& error) {
    receiver.finish({false, "Sign-in failed", error.what(), error.hint(), ""});
    receiver.wait_until_shown(std::chrono::seconds(2));
    throw;
  }
  return 0;
}

} // namespace keap::cli
