// `keap-auth token`: a valid access token (or the stored key) for a service. The light executable answers
// a valid stored token itself (light/fast_path.cpp); this is everything else: a key, a token to refresh
// first, a rejected token to replace, a warning to give, or an error to report.
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "cli/input.hpp"
#include "core/config_keys.hpp"
#include "core/token_answer.hpp"
#include "term/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"

#include <CLI/CLI.hpp>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct TokenOptions {
  std::string min_valid = "5m";
  bool header = false;
  bool no_cache = false;               ///< ask the store, not the PostgreSQL store's access-token cache
  std::optional<std::string> rejected; ///< --rejected -: the token that got a 401, on stdin
  bool json = false;                   ///< --json: the agent's /v1/token answer
};

void define(CLI::App& token, TokenOptions& options, GlobalOptions& global) {
  token.add_option("--min-valid", options.min_valid, "Refresh first if it expires within DUR (default 5m)")
      ->type_name("DUR")
      ->check(duration_check(false));
  auto* header =
      token.add_flag("--header", options.header,
                     "Print the header line instead: 'Authorization: Bearer TOKEN' (or 'X-Keap-API-Key: KEY')");
  token
      .add_flag("--json", options.json,
                "Print it as the agent's /v1/token answers: profile, kind, token, header, expires_at, refresh_at, app")
      ->excludes(header);
  token.add_flag("--no-cache", options.no_cache,
                 "Ask the PostgreSQL store itself, not this host's access-token cache (store_cache_ttl)");
  token
      .add_option("--rejected", options.rejected,
                  "The token on stdin (give -) just got a 401: print the stored token if it differs, else refresh once")
      ->type_name("-")
      ->check(stdin_only("the token"));
  add_config_flag(token, global, "lock_timeout");
}

/// The stored access token when a refresh failed but the token still works for more than the safety
/// margin: a service keeps running while the token endpoint is down (as gcloud and Google's auth
/// libraries do), and the warning says what failed.
std::optional<OAuthGrant> still_valid_grant(const Context& context, const Error& failure) {
  if (failure.code() != ExitCode::unavailable && failure.code() != ExitCode::relogin) {
    return std::nullopt;
  }
  try {
    auto loaded = context.store->read_credential(context.profile);
    const auto* grant = loaded ? std::get_if<OAuthGrant>(&loaded->credential) : nullptr;
    auto now = util::now_seconds();
    if (!grant || access_token_expires_within(*grant, std::chrono::seconds(0), now)) {
      return std::nullopt;
    }
    context.warn(std::string(failure.what()) + "; printing the stored access token, which is still valid for " +
                 util::format_duration(grant->expires_at - now));
    if (!failure.hint().empty()) {
      context.warn(failure.hint());
    }
    return *grant;
  } catch (const Error&) {
    return std::nullopt;
  }
}

/// The token to print: the stored one while it stays valid for `min_valid`, else a refreshed one (or,
/// when the refresh fails, a stored one that is still valid).
OAuthGrant current_grant(const Context& context, std::chrono::seconds min_valid) {
  try {
    auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, context.refresh_settings(),
                                       [&](const OAuthGrant& grant, util::TimePoint now) {
                                         return access_token_expires_within(grant, min_valid, now)
                                                    ? RefreshReason::access_token_expiring
                                                    : RefreshReason::none;
                                       });
    context.warn_all(result.warnings);
    return result.grant;
  } catch (const Error& error) {
    if (auto fallback = still_valid_grant(context, error)) {
      return *fallback;
    }
    throw;
  }
}

/// --rejected: the store's token when it is not the one that just got a 401 (another process
/// refreshed), else one refresh under the lock. Never the rejected token again.
OAuthGrant replacement_grant(const Context& context, const std::string& rejected) {
  auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, context.refresh_settings(),
                                     [&](const OAuthGrant& grant, util::TimePoint) {
                                       return grant.access_token == rejected ? RefreshReason::access_token_rejected
                                                                             : RefreshReason::none;
                                     });
  context.warn_all(result.warnings);
  if (result.grant.access_token == rejected) {
    throw Error(ExitCode::relogin, "the refreshed access token is the one that was rejected",
                "the token endpoint gave the same token back: run `keap-auth login`");
  }
  return result.grant;
}

int run(const TokenOptions& options, const GlobalOptions& global) {
  auto min_valid = duration_value("--min-valid", options.min_valid, true);
  auto context = open_context(global);
  std::optional<std::string> rejected;
  if (options.rejected) {
    // The token, or the header line `token --header` printed: a client holding that passes it back as is.
    rejected = read_secret("the rejected token", {"Authorization: Bearer ", "X-Keap-API-Key: "});
  }
  Credential credential = context.credential();
  if (auto* key = std::get_if<ApiKey>(&credential)) {
    if (rejected && *rejected == key->key) {
      throw Error(ExitCode::relogin, "Keap rejected " + describe_key_kind(key->kind) + ", and keys are not refreshed",
                  "a key goes in X-Keap-API-Key (an OAuth token in Authorization: Bearer); if that was so, create a "
                  "new key in Keap and store it with `keap-auth login --api-key-file FILE`");
    }
  } else {
    credential = rejected ? replacement_grant(context, *rejected) : current_grant(context, min_valid);
  }
  // The same object as the agent's /v1/token, so a script can keep it until its refresh_at.
  auto answer = token_answer(context.profile, credential, std::nullopt);
  try {
    print_stdout(options.json     ? util::dump_json(answer, 2)
                 : options.header ? answer["header"].get<std::string>() + "\n"
                                  : answer["token"].get<std::string>() + "\n");
  } catch (const Error& error) {
    throw loud_output(error);
  }
  return 0;
}

} // namespace

std::unique_ptr<Command> token_command() {
  return make_command<TokenOptions>({"token",
                                     "Print a valid access token (refreshing first when needed), or the stored key",
                                     define,
                                     {},
                                     run,
                                     [](const TokenOptions& options) { return options.json; }});
}

} // namespace keap::commands
