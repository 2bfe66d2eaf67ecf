// `keap-auth login`: a grant obtained through the browser and stored, in three ways: the interactive
// login (a loopback receiver catches the redirect), the two-step login for machines the redirect cannot
// reach (--begin prints the URL and keeps the request's secrets in a pending file; --finish takes the
// address the browser landed on, or the bare code; --manual does both in one command), and a Personal
// Access Token or Service Account Key stored as the credential (--api-key-file FILE, --api-key -: never
// the key itself in argv).
#include "api/key_store.hpp"
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "cli/input.hpp"
#include "core/config_keys.hpp"
#include "core/destinations.hpp"
#include "net/crypto.hpp"
#include "net/tls_identity.hpp"
#include "oauth/authorize_url.hpp"
#include "oauth/browser.hpp"
#include "oauth/callback.hpp"
#include "oauth/login_flow.hpp"
#include "oauth/pending_login.hpp"
#include "oauth/receiver.hpp"
#include "term/output.hpp"
#include "util/duration.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>

#include <unistd.h>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct LoginOptions {
  std::optional<std::string> api_key_file; ///< --api-key-file FILE: store a PAT or SAK instead of logging in
  std::optional<std::string> api_key;      ///< --api-key -: the same from stdin (never the key itself in argv)
  std::optional<std::string> key_kind;     ///< --key-kind pat|sak
  bool no_browser = false;
  std::string timeout = "5m";
  bool force = false;
  bool json = false;
  bool begin = false;                ///< two-step login, first half
  std::optional<std::string> finish; ///< two-step login, second half: "-", the address (or code) on stdin
  bool manual = false;               ///< both halves in one command, the address pasted on stdin
  bool if_needed = false;            ///< nothing at all when the credentials are usable (playbooks)
};

void define(CLI::App& login, LoginOptions& options, GlobalOptions& global) {
  add_text(login, "--api-key-file", options.api_key_file,
           "Store a Personal Access Token or Service Account Key from FILE instead of an OAuth login", "FILE");
  login
      .add_option("--api-key", options.api_key,
                  "The same, read from stdin: give - (a key never goes on a command line)")
      ->type_name("-")
      ->check(stdin_only("the key"));
  login.add_option("--key-kind", options.key_kind, "The key's kind: pat or sak (Keap's keys look alike)")
      ->type_name("KIND")
      ->check(CLI::IsMember({"pat", "sak"}));
  login.add_flag("--no-browser", options.no_browser, "Only print the URL to open; start no browser");
  login.add_option("--timeout", options.timeout, "How long to wait for the browser (default 5m)")
      ->type_name("DUR")
      ->check(duration_check(true));
  login.add_flag("--force", options.force, "Replace credentials of another Keap app or client_id");
  login.add_flag("--json", options.json, "Print a summary without secrets on stdout");
  auto* begin =
      login.add_flag("--begin", options.begin, "Two-step login: save a pending request, print the URL on stdout, exit");
  auto* finish = login
                     .add_option("--finish", options.finish,
                                 "Two-step login: complete it with the address the browser landed on (or the code), "
                                 "read from stdin: give -")
                     ->type_name("-")
                     ->check(stdin_only("the address (it holds the authorization code)"));
  auto* manual = login.add_flag("--manual", options.manual,
                                "Print the URL, then read the address the browser landed on from stdin");
  begin->excludes(finish)->excludes(manual);
  login
      .add_flag("--if-needed", options.if_needed,
                "Do nothing (exit 0, \"changed\": false with --json) when the credentials are usable, as status says")
      ->excludes(finish);
  finish->excludes(manual);
  add_config_flag(login, global, "tls_cert");
  add_config_flag(login, global, "tls_key");
}

bool with_key(const LoginOptions& options) { return options.api_key_file || options.api_key; }
bool two_step(const LoginOptions& options) { return options.begin || options.finish || options.manual; }

const std::vector<Rule<LoginOptions>>& rules() {
  static const std::vector<Rule<LoginOptions>> k_rules{
      {[](const LoginOptions& options, const GlobalOptions&) { return options.api_key_file && options.api_key; },
       "give the key once: --api-key-file or --api-key -", "leave one of them out"},
      {[](const LoginOptions& options, const GlobalOptions& global) {
         return two_step(options) && (global.config.find("tls_cert") || global.config.find("tls_key"));
       },
       "--tls-cert and --tls-key serve the interactive login's https receiver; a two-step or --manual login has no "
       "receiver",
       "leave them out"},
      {[](const LoginOptions& options, const GlobalOptions&) { return two_step(options) && options.no_browser; },
       "--no-browser has no effect on a two-step or --manual login, which never starts one", "leave it out"},
      {[](const LoginOptions& options, const GlobalOptions&) {
         return with_key(options) && (two_step(options) || options.no_browser);
       },
       "an API key is stored as it is: --api-key-file and --api-key take no browser options",
       "leave out --begin, --finish, --manual and --no-browser"},
      {[](const LoginOptions& options, const GlobalOptions&) { return options.key_kind && !with_key(options); },
       "--key-kind goes with --api-key-file or --api-key", "add the key"},
  };
  return k_rules;
}

/// The flow's view of the command's context.
oauth::LoginContext login_context(Context& context, const LoginOptions& options) {
  return {context.config,         *context.store,      context.profile, *context.http,
          context.retry_policy(), context.environment, options.force,   context.profile == oauth::k_app_profile};
}

/// Runs the checks made before anything starts and prints their notices.
void prepare(const oauth::LoginContext& flow) {
  for (const auto& notice : oauth::prepare_login(flow)) {
    say(notice);
  }
}

/// Prints how the login ended: the summary on stderr, --json on stdout. Returns the exit code (130 when
/// a signal came while the code was being exchanged and saved).
int report_login(const oauth::LoginResult& result, const LoginOptions& options) {
  const auto& grant = result.grant;
  for (const auto& notice : result.notices) {
    say(notice);
  }
  say("signed in to Keap app " + display_app(grant.app) + " (scope " + grant.scope + ")");
  say("saved to the " + result.saved_to + "; the access token expires at " + util::format_rfc3339(grant.expires_at));
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

/// --if-needed: usable credentials (what `status` says exit 0 for) mean there is nothing to do, and
/// nothing is touched, so a playbook can report "changed" only when a login happened.
bool nothing_needed(const Context& context, const LoginOptions& options) {
  auto loaded = context.store->read_for_status(context.profile);
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

// The interactive login.

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

// The two-step login.

/// A new request and the URL to open. Two-step logins have no receiver to learn an ephemeral port
/// from, so the redirect_uri must name its port.
std::pair<oauth::PendingLogin, std::string> new_pending_login(const Config& config) {
  auto redirect = *util::parse_url(config.redirect_uri);
  if (redirect.port == 0) {
    throw Error(ExitCode::usage,
                "redirect_uri " + config.redirect_uri + " has port 0, which a two-step login cannot use",
                "set redirect_uri to the exact URI registered with the app");
  }
  auto request = oauth::new_authorization_request(config.pkce);
  oauth::PendingLogin pending{request.state, request.code_verifier, config.redirect_uri, config.client_id,
                              util::now_seconds()};
  auto url = oauth::authorize_url(*util::parse_url(config.authorize_url),
                                  {config.client_id, config.redirect_uri, config.scope}, request);
  return {pending, url};
}

void explain_next_step(const oauth::PendingLogin& pending, const Config& config, const char* how_to_finish) {
  say("open the URL in any browser and approve access. The browser then goes to " + pending.redirect_uri +
      "?code=...; that page may fail to load, which is fine: copy the whole address from the address bar");
  say(std::string(how_to_finish) + " (before " + util::format_rfc3339(pending.created_at + config.pending_lifetime) +
      ")");
}

/// The code in what the person pasted, checked against `pending`. Throws Error for each wrong answer.
std::string code_from(const std::string& pasted, const oauth::PendingLogin& pending,
                      const std::optional<std::string>& pending_file) {
  auto answer = oauth::parse_pasted_answer(pasted);
  if (answer.problem) {
    throw Error(ExitCode::usage, "--finish: " + *answer.problem,
                "paste the whole address the browser landed on, or the code, on stdin of `keap-auth login --finish -`");
  }
  if (!answer.callback) {
    return *answer.code;
  }
  const auto& callback = *answer.callback;
  if (callback.problem) {
    throw Error(ExitCode::usage, "--finish: the address is not usable: " + *callback.problem);
  }
  if (!callback.state) {
    throw Error(ExitCode::usage,
                "--finish: the address carries no state, so it cannot be matched to the pending "
                "login; nothing was written",
                "copy the whole address the browser landed on, or give just the code");
  }
  if (!net::same_secret(*callback.state, pending.state)) {
    throw Error(ExitCode::usage,
                "--finish: the address does not belong to the pending login (its state does not match); nothing "
                "was written",
                "use the address from the browser that opened the latest `--begin` URL");
  }
  if (callback.error) {
    if (pending_file) {
      oauth::remove_pending(*pending_file);
    }
    throw Error(ExitCode::denied, oauth::describe_callback_error(callback) + "; nothing was written",
                "run `keap-auth login --begin` again and choose Allow");
  }
  if (!callback.code) {
    throw Error(ExitCode::usage, "--finish: the address carries neither a code nor an error");
  }
  return *callback.code;
}

/// Completes `pending` with what the person pasted; `pending_file`, when there is one, is removed once
/// the attempt is over (success or a refusal in the browser).
int finish_with(Context& context, const LoginOptions& options, const oauth::PendingLogin& pending,
                const std::string& pasted, const std::optional<std::string>& pending_file) {
  auto code = code_from(pasted, pending, pending_file);
  auto result =
      oauth::complete_login(login_context(context, options), code, pending.redirect_uri, pending.code_verifier);
  if (pending_file) {
    oauth::remove_pending(*pending_file);
  }
  return report_login(result, options);
}

int run_login_begin(Context& context, const LoginOptions& options) {
  const auto& config = context.config;
  prepare(login_context(context, options));
  auto [pending, url] = new_pending_login(config);
  auto pending_file = context.store->companion_file(context.profile, oauth::k_pending_suffix);
  std::optional<oauth::PendingLogin> earlier;
  try {
    earlier = oauth::load_pending(pending_file);
  } catch (const Error&) {
  }
  if (earlier && earlier->created_at + config.pending_lifetime > util::now_seconds()) {
    say("replaced the unfinished two-step login begun at " + util::format_rfc3339(earlier->created_at) +
        "; its address will no longer be accepted");
  }
  oauth::save_pending(pending_file, pending);
  if (options.json) {
    nlohmann::ordered_json out = {
        {"schema", 1},
        {"changed", true},
        {"authorize_url", url},
        {"redirect_uri", pending.redirect_uri},
        {"pending_file", util::absolute_path(pending_file)},
        {"pending_expires_at", util::format_rfc3339(pending.created_at + config.pending_lifetime)}};
    print_stdout(util::dump_json(out, 2));
  } else {
    print_stdout(url + "\n");
  }
  explain_next_step(pending, config,
                    "then run `keap-auth login --finish -` and paste that address (it ends with Enter and Ctrl-D)");
  return 0;
}

int run_login_finish(Context& context, const LoginOptions& options) {
  const auto& config = context.config;
  auto pending_file = context.store->companion_file(context.profile, oauth::k_pending_suffix);
  auto pending = oauth::load_pending(pending_file);
  if (!pending) {
    throw Error(ExitCode::usage, "--finish: there is no pending login (" + pending_file + " does not exist)",
                "start with `keap-auth login --begin`");
  }
  auto age = util::now_seconds() - pending->created_at;
  // A pending login from the future beyond clock adjustments is as unusable as an old one.
  if (age > config.pending_lifetime || age < std::chrono::seconds(-300)) {
    oauth::remove_pending(pending_file);
    throw Error(ExitCode::denied,
                "--finish: the pending login from " + util::format_rfc3339(pending->created_at) +
                    " has expired (it lasts " + util::format_duration(config.pending_lifetime) +
                    "); nothing was written",
                "start again with `keap-auth login --begin`");
  }
  if (pending->client_id != config.client_id) {
    throw Error(ExitCode::usage, "--finish: the pending login was begun for client_id " + pending->client_id +
                                     ", not " + config.client_id);
  }
  prepare(login_context(context, options));
  auto pasted = read_stdin("--finish -", k_longest_line);
  return finish_with(context, options, *pending, pasted, pending_file);
}

int run_login_manual(Context& context, const LoginOptions& options) {
  prepare(login_context(context, options));
  auto [pending, url] = new_pending_login(context.config);
  // Like --finish: the request lasts pending_lifetime, and --timeout may end the wait sooner.
  auto wait =
      std::min<std::chrono::seconds>(duration_value("--timeout", options.timeout), context.config.pending_lifetime);
  say("open this URL to sign in to Keap:\n\n  " + url + "\n");
  say("open the URL in any browser and approve access. The browser then goes to " + pending.redirect_uri +
      "?code=...; that page may fail to load, which is fine: copy the whole address from the address bar");
  say("then paste that address here and press Enter (within " + util::format_duration(wait) + ")");
  StdinLines input;
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + wait;
  auto status = StdinLines::Status::line;
  do {
    status = input.next(deadline, line);
  } while (status == StdinLines::Status::line && line.find_first_not_of(" \t") == std::string::npos);
  if (status == StdinLines::Status::timed_out) {
    throw Error(ExitCode::denied,
                "--manual: nothing was pasted within " + util::format_duration(wait) + "; nothing was written",
                "run `keap-auth login --manual` again, or raise --timeout");
  }
  if (status == StdinLines::Status::ended) {
    throw Error(ExitCode::usage, "--manual: nothing was pasted on stdin; nothing was written",
                ::isatty(STDIN_FILENO) ? "paste the address the browser landed on"
                                       : "stdin is not a terminal: use `--begin` and `--finish` in scripts");
  }
  return finish_with(context, options, pending, line, std::nullopt); // nothing was saved to remove
}

// Keys.

std::string key_from_file(const std::string& path) {
  try {
    if (auto text = util::read_regular_file(path, 64 * 1024)) {
      auto first = text->find_first_not_of(" \t\r\n");
      auto last = text->find_last_not_of(" \t\r\n");
      return first == std::string::npos ? std::string() : text->substr(first, last - first + 1);
    }
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string("--api-key-file: ") + error.what(),
                "give the file that holds only the key");
  }
  throw Error(ExitCode::usage, "--api-key-file: " + path + " does not exist", "give the file that holds only the key");
}

KeyKind kind_named(const std::optional<std::string>& name) {
  if (!name) {
    return KeyKind::unknown;
  }
  return *name == "pat" ? KeyKind::personal_access_token : KeyKind::service_account_key;
}

int run_key_login(Context& context, const LoginOptions& options) {
  auto text = options.api_key_file ? key_from_file(*options.api_key_file) : read_secret("the API key");
  auto warnings = api::check_key(text);
  context.warn_all(warnings);
  auto location = context.config.store == "file" ? context.credentials_path() : std::string();
  ApiKey key{text, kind_named(options.key_kind), util::now_seconds(), key_origin(context.config, location)};
  auto notices = api::store_key(
      {*context.store, context.profile, context.config.lock_timeout, context.environment, options.force}, key);
  for (const auto& notice : notices) {
    context.say(notice);
  }
  auto described = context.store->describe(context.profile);
  context.say("stored " + describe_key_kind(key.kind) + " in the " + described + " (" + context.store->protection() +
              "); `keap-auth api` sends it as X-Keap-API-Key");
  if (options.json) {
    nlohmann::ordered_json out = {{"schema", 1},        {"credentials_file", context.credentials_path()},
                                  {"kind", "api_key"},  {"key_kind", key_kind_name(key.kind)},
                                  {"notices", notices}, {"warnings", warnings}};
    print_stdout(util::dump_json(out, 2));
  }
  return 0;
}

int run(const LoginOptions& options, const GlobalOptions& global) {
  auto context = open_context(global);
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

} // namespace

std::unique_ptr<Command> login_command() {
  return make_command<LoginOptions>({"login",
                                     "Authorize once in the browser and save the token pair (or store an API key)",
                                     define, rules(), run, [](const LoginOptions& options) { return options.json; }});
}

} // namespace keap::commands
