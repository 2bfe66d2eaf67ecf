// The login for machines the browser's redirect cannot reach, and for playbooks: --begin prints the
// URL and keeps the request's secrets in a pending file; --finish takes the address the browser
// landed on (or the bare code) and completes it. --manual does both in one command.
#include "authorization_request.hpp"
#include "cli/login.hpp"
#include "cli/output.hpp"
#include "duration.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <iterator>

#include <unistd.h>

namespace keap::cli {

namespace {

/// A new request and the URL to open. Two-step logins have no receiver to learn an ephemeral port
/// from, so the redirect_uri must name its port.
std::pair<PendingLogin, std::string> new_pending_login(const Config& config) {
  auto redirect = *parse_url(config.redirect_uri);
  if (redirect.port == 0) {
    throw Error(ExitCode::usage, "redirect_uri " + config.redirect_uri + " has port 0, which a two-step login cannot use",
                "set redirect_uri to the exact URI registered with the app");
  }
  auto request = new_authorization_request(config.pkce);
  PendingLogin pending{request.state, request.code_verifier, config.redirect_uri, config.client_id, now_seconds()};
  auto url = authorize_url(*parse_url(config.authorize_url), {config.client_id, config.redirect_uri, config.scope},
                           request);
  return {pending, url};
}

void explain_next_step(const PendingLogin& pending, const Config& config, const char* how_to_finish) {
  say("open the URL in any browser and approve access. The browser then goes to " + pending.redirect_uri +
      "?code=...; that page may fail to load, which is fine: copy the whole address from the address bar");
  say(std::string(how_to_finish) + " (before " + format_rfc3339(pending.created_at + config.pending_lifetime) + ")");
}

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

/// Completes `pending` with what the person pasted; `pending_file`, when there is one, is removed once
/// the attempt is over (success or a refusal in the browser).
int finish_with(const LoginContext& context, const LoginOptions& options, const PendingLogin& pending,
                const std::string& pasted, const std::optional<std::string>& pending_file) {
  auto answer = parse_pasted_answer(pasted);
  if (answer.problem) {
    throw Error(ExitCode::usage, "--finish: " + *answer.problem,
                "give the whole address the browser landed on (quoted), or the code, or - to read it from stdin");
  }
  if (answer.callback) {
    const auto& callback = *answer.callback;
    if (callback.problem) {
      throw Error(ExitCode::usage, "--finish: the address is not usable: " + *callback.problem);
    }
    if (!callback.state || !same_secret(*callback.state, pending.state)) {
      throw Error(ExitCode::usage,
                  "--finish: the address does not belong to the pending login (its state does not match); nothing "
                  "was written",
                  "use the address from the browser that opened the latest `--begin` URL");
    }
    if (callback.error) {
      if (pending_file) {
        remove_pending(*pending_file);
      }
      throw Error(ExitCode::denied,
                  "the authorization server answered error=" + printable_excerpt(*callback.error) +
                      (callback.error_description ? " (" + printable_excerpt(*callback.error_description) + ")" : "") +
                      "; nothing was written",
                  "run `keap-auth login --begin` again and choose Allow");
    }
    if (!callback.code) {
      throw Error(ExitCode::usage, "--finish: the address carries neither a code nor an error");
    }
    answer.code = callback.code;
  }
  complete_login(context, options, *answer.code, pending.redirect_uri, pending.code_verifier);
  if (pending_file) {
    remove_pending(*pending_file);
  }
  return 0;
}

} // namespace

int run_login_begin(const LoginContext& context, const LoginOptions& options) {
  const auto& config = context.config;
  auto [pending, url] = new_pending_login(config);
  auto pending_file = pending_path_for(config.credentials_file);
  save_pending(pending_file, pending);
  if (options.json) {
    nlohmann::ordered_json out = {{"authorize_url", url},
                                  {"redirect_uri", pending.redirect_uri},
                                  {"pending_file", pending_file},
                                  {"expires_at", format_rfc3339(pending.created_at + config.pending_lifetime)}};
    print_stdout(out.dump(2) + "\n");
  } else {
    print_stdout(url + "\n");
  }
  explain_next_step(pending, config, "then run `keap-auth login --finish 'ADDRESS'` (or `--finish -` and paste it)");
  return 0;
}

int run_login_finish(const LoginContext& context, const LoginOptions& options) {
  const auto& config = context.config;
  auto pending_file = pending_path_for(config.credentials_file);
  auto pending = load_pending(pending_file);
  if (!pending) {
    throw Error(ExitCode::usage, "--finish: there is no pending login (" + pending_file + " does not exist)",
                "start with `keap-auth login --begin`");
  }
  auto age = now_seconds() - pending->created_at;
  if (age > config.pending_lifetime || age < std::chrono::seconds(-300)) {
    remove_pending(pending_file);
    throw Error(ExitCode::denied,
                "--finish: the pending login from " + format_rfc3339(pending->created_at) + " has expired (it lasts " +
                    format_duration(config.pending_lifetime) + "); nothing was written",
                "start again with `keap-auth login --begin`");
  }
  if (pending->client_id != config.client_id) {
    throw Error(ExitCode::usage, "--finish: the pending login was begun for client_id " + pending->client_id +
                                     ", not " + config.client_id);
  }
  auto pasted = *options.finish == "-" ? read_stdin() : *options.finish;
  return finish_with(context, options, *pending, pasted, pending_file);
}

int run_login_manual(const LoginContext& context, const LoginOptions& options) {
  auto [pending, url] = new_pending_login(context.config);
  say("open this URL to sign in to Keap:\n\n  " + url + "\n");
  explain_next_step(pending, context.config, "then paste that address here and press Enter");
  std::string line;
  if (!std::getline(std::cin, line) || line.find_first_not_of(" \t\r") == std::string::npos) {
    throw Error(ExitCode::usage, "--manual: nothing was pasted on stdin; nothing was written",
                ::isatty(STDIN_FILENO) ? "paste the address the browser landed on"
                                       : "stdin is not a terminal: use `--begin` and `--finish` in scripts");
  }
  return finish_with(context, options, pending, line, std::nullopt); // nothing was saved to remove
}

} // namespace keap::cli
