#include "cli/login.hpp"

#include "browser.hpp"
#include "cli/output.hpp"
#include "credential_store.hpp"
#include "receiver.hpp"
#include "tls_identity.hpp"
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

void print_summary(const Credentials& credentials, const std::string& path, bool json) {
  say("signed in to Keap app " + app_name(credentials.app) + " (scope " + credentials.scope + ")");
  say("credentials saved to " + path + " (mode 0600); the access token expires at " +
      format_rfc3339(credentials.expires_at));
  if (json) {
    nlohmann::ordered_json summary = {
        {"credentials_file", path},
        {"app", credentials.app ? nlohmann::ordered_json(*credentials.app) : nlohmann::ordered_json(nullptr)},
        {"scope", credentials.scope},
        {"client_id", credentials.client_id},
        {"token_url", credentials.token_url},
        {"obtained_at", format_rfc3339(credentials.obtained_at)},
        {"expires_at", format_rfc3339(credentials.expires_at)}};
    print_stdout(summary.dump(2) + "\n");
  }
}

/// The certificate an https redirect_uri is served with, and what the user should know about it.
TlsIdentity receiver_identity(const Config& config) {
  if (!config.tls_cert.empty()) {
    return load_tls_identity(config.tls_cert, config.tls_key);
  }
  std::vector<std::string> notices;
  auto identity = self_signed_identity(default_certificate_folder(), now_seconds(), notices);
  for (const auto& notice : notices) {
    say(notice);
  }
  say("the receiver uses a self-signed certificate, SHA-256 fingerprint " + identity.fingerprint);
  say("your browser will warn that the connection to localhost is not private (NET::ERR_CERT_AUTHORITY_INVALID "
      "or \"Warning: Potential Security Risk\"): that is expected for this certificate; check the fingerprint, "
      "then proceed (or trust " + identity.certificate_file + " once, or use --tls-cert/--tls-key with mkcert's)");
  return identity;
}

void hint_for_ssh(const Url& redirect) {
  if (std::getenv("SSH_CONNECTION") != nullptr && is_loopback_host(redirect.host)) {
    auto port = std::to_string(redirect.port);
    say("on SSH? the browser's redirect must reach this machine's port " + port +
        ": from the computer with the browser, run `ssh -L " + port + ":127.0.0.1:" + port +
        " <this host>` first (or use `keap-auth login --begin` / `--finish`)");
  }
}

int run_interactive_login(const LoginContext& context, const LoginOptions& options) {
  const auto& config = context.config;
  auto redirect = *parse_url(config.redirect_uri);
  std::optional<TlsIdentity> identity;
  if (redirect.scheme == "https") {
    identity = receiver_identity(config);
  }
  auto request = new_authorization_request(config.pkce);
  Receiver receiver(redirect, request.state, identity ? &*identity : nullptr);
  if (context.global.verbose) {
    receiver.set_log([](const std::string& line) { say(line); });
  }
  auto url = authorize_url(*parse_url(config.authorize_url),
                           {config.client_id, receiver.redirect_uri(), config.scope}, request);
  say("waiting for the browser on " + receiver.redirect_uri());
  say(std::string("open this URL to sign in to Keap") + (options.no_browser ? "" : " (it is also being opened for you)") +
      ":\n\n  " + url + "\n");
  hint_for_ssh(*parse_url(receiver.redirect_uri()));
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
  try {
    auto credentials = complete_login(context, options, *callback.code, receiver.redirect_uri(), request.code_verifier);
    receiver.finish({true, "Signed in", "Signed in to Keap app " + app_name(credentials.app) + ".", "",
                     std::filesystem::absolute(config.credentials_file).lexically_normal().string()});
    receiver.wait_until_shown(std::chrono::seconds(5));
  } catch (const Error& error) {
    receiver.finish({false, "Sign-in failed", error.what(), error.hint(), ""});
    receiver.wait_until_shown(std::chrono::seconds(2));
    throw;
  }
  return 0;
}

} // namespace

LoginContext prepare_login(const GlobalOptions& global, const LoginOptions& options) {
  LoginContext context{load_config(global.config, process_environment()), global, std::nullopt};
  const auto& config = context.config;
  require_client_credentials(config);
  context.existing = existing_credentials(config.credentials_file);
  if (context.existing && context.existing->client_id != config.client_id && !options.force) {
    throw Error(ExitCode::usage,
                "credentials file " + config.credentials_file + " belongs to client_id " +
                    context.existing->client_id + ", not " + config.client_id + "; nothing was changed",
                "use another --credentials file, or run again with --force to replace it");
  }
  return context;
}

Credentials complete_login(const LoginContext& context, const LoginOptions& options, const std::string& code,
                           const std::string& redirect_uri, const std::string& code_verifier) {
  const auto& config = context.config;
  TokenEndpoint endpoint{*parse_url(config.token_url), config.token_auth, config.client_id, config.client_secret,
                         http_options(config, context.global)};
  Credentials credentials;
  try {
    auto response = exchange_code(endpoint, code, redirect_uri, code_verifier);
    credentials = make_credentials(response, {config.client_id, config.client_secret, config.token_url}, now_seconds());
  } catch (const Error& error) {
    if (error.code() == ExitCode::failure && config.pkce) {
      throw Error(error.code(), error.what(),
                  "if this server does not support PKCE, set \"pkce\": false in the config and log in again");
    }
    throw;
  }
  check_same_app(context.existing, credentials, config.credentials_file, options.force);
  save_credentials(config.credentials_file, credentials);
  print_summary(credentials, std::filesystem::absolute(config.credentials_file).lexically_normal().string(),
                options.json);
  return credentials;
}

int run_login(const GlobalOptions& global, const LoginOptions& options) {
  auto context = prepare_login(global, options);
  if (options.begin) {
    return run_login_begin(context, options);
  }
  if (options.finish) {
    return run_login_finish(context, options);
  }
  if (options.manual) {
    return run_login_manual(context, options);
  }
  return run_interactive_login(context, options);
}

} // namespace keap::cli
