// The login for machines the browser's redirect cannot reach, and for playbooks: --begin prints the
// URL and keeps the request's secrets in a pending file; --finish takes the address the browser
// landed on (or the bare code) and completes it. --manual does both in one command.
#include "cli/input.hpp"
#include "cli/login.hpp"
#include "cli/output.hpp"
#include "net/crypto.hpp"
#include "oauth/authorize_url.hpp"
#include "oauth/callback.hpp"
#include "oauth/pending_login.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"


#include <unistd.h>

namespace keap::cli {

namespace {

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

} // namespace

int run_login_begin(Context& context, const LoginOptions& options) {
  const auto& config = context.config;
  prepare(login_context(context, options));
  auto [pending, url] = new_pending_login(config);
  auto pending_file = context.store->local_file(context.profile, oauth::k_pending_suffix);
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
  explain_next_step(pending, config, "then run `keap-auth login --finish -` and paste that address (it ends with Enter and Ctrl-D)");
  return 0;
}

int run_login_finish(Context& context, const LoginOptions& options) {
  const auto& config = context.config;
  auto pending_file = context.store->local_file(context.profile, oauth::k_pending_suffix);
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

} // namespace keap::cli
