#include "cli/login.hpp"

#include "cli/input.hpp"
#include "cli/output.hpp"
#include "net/crypto.hpp"
#include "net/tls_identity.hpp"
#include "oauth/authorize_url.hpp"
#include "oauth/browser.hpp"
#include "oauth/receiver.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/signals.hpp"

#include <algorithm>
#include <chrono>

#include <unistd.h>

namespace keap::cli {

namespace {

/// A line the person pasted instead of waiting for the redirect (it cannot reach this machine, say):
/// the address the browser landed on, or the bare code. Nothing, after saying why, when it is neither
/// or belongs to another login.
std::optional<oauth::Callback> pasted_callback(const std::string& line, const std::string& state) {
  if (line.find_first_not_of(" \t") == std::string::npos) {
    return std::nullopt;
  }
  auto answer = oauth::parse_pasted_answer(line);
  if (answer.code) {
    oauth::Callback callback;
    callback.state = state;
    callback.code = answer.code;
    return callback;
  }
  if (answer.callback && !answer.callback->problem && answer.callback->state &&
      net::same_secret(*answer.callback->state, state) && (answer.callback->code || answer.callback->error)) {
    return answer.callback;
  }
  warn("that is not the address the browser landed on for this login (" +
       (answer.problem ? *answer.problem : std::string("its state does not match, or it carries no code")) +
       "); still waiting");
  return std::nullopt;
}

/// Waits for the browser's redirect to reach the receiver, or for the address to be pasted on stdin.
oauth::Callback wait_for_answer(oauth::Receiver& receiver, const std::string& state, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  StdinLines input;
  // Ctrl-C while waiting ends the login cleanly: nothing has been sent anywhere yet.
  util::DeferInterrupts waiting;
  ProgressLine progress;
  auto stop = [&receiver] { return util::interrupt_requested() || receiver.start_reused(); };
  while (!stop()) {
    auto left = std::chrono::ceil<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
    progress.show("waiting for the browser: " + util::format_duration(std::max(left, std::chrono::seconds(0))) +
                  " left (Ctrl-C to stop)");
    auto slice = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    if (auto callback = receiver.wait_for_callback(slice, stop)) {
      return *callback;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(ExitCode::denied,
                  "no answer from the browser within " + util::format_duration(timeout) + "; nothing was written",
                  "run `keap-auth login` again and finish signing in within the time, or raise --timeout");
    }
    std::string line;
    if (!input.ended() && input.next(std::chrono::steady_clock::now(), line) == StdinLines::Status::line) {
      if (auto callback = pasted_callback(line, state)) {
        return *callback;
      }
    }
  }
  if (receiver.start_reused()) {
    throw Error(ExitCode::denied,
                "the browser's start address was opened a second time: another program on this machine may have read "
                "it from the browser's command line, so the login was stopped; nothing was written",
                "run `keap-auth login` again; with --no-browser, the URL is only printed here, for you to open");
  }
  throw Error(ExitCode::interrupted, "login interrupted; nothing was written");
}

/// The certificate an https redirect_uri is served with, and what the user should know about it.
net::TlsIdentity receiver_identity(const Context& context) {
  const auto& config = context.config;
  if (!config.tls_cert.empty()) {
    return net::load_tls_identity(config.tls_cert, config.tls_key);
  }
  std::vector<std::string> notices;
  auto identity =
      net::self_signed_identity(net::default_certificate_folder(context.environment), util::now_seconds(), notices);
  for (const auto& notice : notices) {
    say(notice);
  }
  say("the receiver uses a self-signed certificate, SHA-256 fingerprint " + identity.fingerprint);
  say("your browser will warn that the connection to localhost is not private (NET::ERR_CERT_AUTHORITY_INVALID "
      "or \"Warning: Potential Security Risk\"): that is expected for this certificate; check the fingerprint, "
      "then proceed (or trust " +
      identity.certificate_file + " once, or use --tls-cert/--tls-key with mkcert's)");
  return identity;
}

void hint_for_ssh(const Context& context, const util::Url& redirect) {
  if (context.environment("SSH_CONNECTION") && util::is_loopback_host(redirect.host)) {
    auto port = std::to_string(redirect.port);
    say("on SSH? the browser's redirect must reach this machine's port " + port +
        ": from the computer with the browser, run `ssh -L " + port + ":127.0.0.1:" + port +
        " <this host>` first (or use `keap-auth login --begin` / `--finish`)");
  }
}

/// Starts the browser on the receiver's one-time start address (the authorize URL's state stays off
/// every command line); says what went wrong when no browser command works.
void open_browser(const Context& context, const std::string& url, oauth::Receiver& receiver) {
  auto setting = context.environment("BROWSER");
  if (!setting && context.environment("SSH_CONNECTION")) {
    context.say("this is an SSH session, so no browser is started on this machine: open the URL above on your "
                "own computer");
    return;
  }
  auto start = receiver.start_address(url);
  std::string problems;
  for (const auto& command : oauth::browser_commands(setting.value_or(""), start)) {
    auto problem = oauth::start_browser(command, std::chrono::seconds(1));
    if (!problem) {
      return;
    }
    problems += (problems.empty() ? "" : "; ") + *problem;
  }
  context.warn(problems + "; open the URL above yourself" +
               (::isatty(STDIN_FILENO) == 1 ? ", or paste the address the browser lands on here" : ""));
}

int run_interactive_login(Context& context, const LoginOptions& options) {
  const auto& config = context.config;
  auto flow = login_context(context, options);
  auto timeout = duration_value("--timeout", options.timeout);
  prepare(flow);
  auto redirect = *util::parse_url(config.redirect_uri);
  std::optional<net::TlsIdentity> identity;
  if (redirect.scheme == "https") {
    identity = receiver_identity(context);
  }
  auto request = oauth::new_authorization_request(config.pkce);
  oauth::Receiver receiver(config.redirect_uri, request.state, identity ? &*identity : nullptr);
  if (context.http->options().log) {
    receiver.set_log([](const std::string& line) { say(line); });
  }
  auto url = oauth::authorize_url(*util::parse_url(config.authorize_url),
                                  {config.client_id, receiver.redirect_uri(), config.scope}, request);
  say("waiting for the browser on " + receiver.redirect_uri());
  say(std::string("open this URL to sign in to Keap") +
      (options.no_browser ? "" : " (it is also being opened for you)") + ":\n\n  " + url + "\n");
  hint_for_ssh(context, *util::parse_url(receiver.redirect_uri()));
  if (!options.no_browser) {
    open_browser(context, url, receiver);
  }

  auto callback = wait_for_answer(receiver, request.state, timeout);
  if (callback.error) {
    Error denied(ExitCode::denied, oauth::describe_callback_error(callback) + "; nothing was written",
                 "run `keap-auth login` again and choose Allow");
    receiver.finish({false, "Access was not granted", denied.what(), denied.hint(), ""});
    receiver.wait_until_shown(std::chrono::seconds(1));
    throw denied;
  }
  try {
    auto result = oauth::complete_login(flow, *callback.code, receiver.redirect_uri(), request.code_verifier);
    receiver.finish(
        {true, "Signed in", "Signed in to Keap app " + display_app(result.grant.app) + ".", "", result.saved_to});
    receiver.wait_until_shown(std::chrono::seconds(1));
    return report_login(result, options);
  } catch (const Error& error) {
    receiver.finish({false, "Sign-in failed", error.what(), error.hint(), ""});
    receiver.wait_until_shown(std::chrono::seconds(1));
    throw;
  }
}

} // namespace

oauth::LoginContext login_context(Context& context, const LoginOptions& options) {
  return {context.config,         *context.store,      context.profile, *context.http,
          context.retry_policy(), context.environment, options.force,   context.profile == oauth::k_app_profile};
}

void prepare(const oauth::LoginContext& flow) {
  for (const auto& notice : oauth::prepare_login(flow)) {
    say(notice);
  }
}

namespace {

/// --if-needed: usable credentials (what `status` says exit 0 for) mean there is nothing to do, and
/// nothing is touched, so a playbook can report "changed" only when a login happened.
bool nothing_needed(const Context& context, const LoginOptions& options) {
  auto loaded = context.store->inspect(context.profile);
  if (!loaded) {
    return false;
  }
  const auto* grant = std::get_if<OAuthGrant>(&loaded->credential);
  if (grant && !grant_usable(*grant, context.config.refresh_token_lifetime, util::now_seconds())) {
    return false;
  }
  context.say("the " + context.store->describe(context.profile) +
              " holds usable credentials, so nothing was done (--if-needed; `keap-auth status` for the details)");
  if (options.json) {
    nlohmann::ordered_json out = {{"schema", 1},
                                  {"changed", false},
                                  {"profile", context.profile},
                                  {"credentials_file", context.credentials_path()}};
    print_stdout(util::dump_json(out, 2));
  }
  return true;
}

} // namespace

int report_login(const oauth::LoginResult& result, const LoginOptions& options) {
  const auto& grant = result.grant;
  for (const auto& notice : result.notices) {
    say(notice);
  }
  say("signed in to Keap app " + display_app(grant.app) + " (scope " + grant.scope + ")");
  say("saved to the " + result.saved_to + "; the access token expires at " +
      util::format_rfc3339(grant.expires_at));
  if (options.json) {
    nlohmann::ordered_json summary = {{"schema", 1},
                                      {"changed", true},
                                      {"credentials_file", result.location},
                                      {"profile", result.profile},
                                      {"kind", "oauth_grant"},
                                      {"app", util::or_null<nlohmann::ordered_json>(grant.app)},
                                      {"scope", grant.scope},
                                      {"client_id", grant.client_id},
                                      {"token_url", grant.token_url},
                                      {"obtained_at", util::format_rfc3339(grant.obtained_at)},
                                      {"access_token_expires_at", util::format_rfc3339(grant.expires_at)},
                                      {"client_secret_stored", !grant.client_secret.empty()},
                                      {"notices", result.notices}};
    print_stdout(util::dump_json(summary, 2));
  }
  if (result.interrupted) {
    say("interrupted; the code had been sent, so keap-auth finished saving the credentials first");
    return static_cast<int>(ExitCode::interrupted);
  }
  return 0;
}

int run_login(const CommandLine& line) {
  auto context = open_context(line.global);
  const auto& options = line.login;
  if (options.if_needed && nothing_needed(context, options)) {
    return 0;
  }
  if (options.api_key_file || options.api_key) {
    return run_key_login(context, options);
  }
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
