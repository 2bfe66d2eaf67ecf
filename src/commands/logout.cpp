// `keap-auth logout`: the profile's credential removed for good, with what keap-auth kept beside it
// (the access-token cache, labelled rescue files, a pending login, the last rate limits).
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "cli/remembered_limits.hpp"
#include "oauth/pending_login.hpp"
#include "term/output.hpp"
#include "util/json.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct LogoutOptions {
  bool json = false;
};

void define(CLI::App& logout, LogoutOptions& options, GlobalOptions& global) {
  logout.add_flag("--json", options.json, "Print what was removed as JSON on stdout");
  add_config_flag(logout, global, "lock_timeout");
}

/// Keap documents no endpoint that revokes a token or a key: what to do in Keap to end access for good.
std::string revocation_note(const std::optional<Credential>& removed) {
  if (removed && std::holds_alternative<ApiKey>(*removed)) {
    return "Keap offers no API to revoke a key: delete it in Keap (Settings, API keys) to end its access";
  }
  return "Keap documents no endpoint to revoke a token: its refresh token stays valid at Keap until it expires "
         "(about 45 days after its last refresh) unless the app's access is removed in Keap";
}

int run(const LogoutOptions& options, const GlobalOptions& global) {
  auto context = open_context(global);
  std::optional<Credential> removed;
  try {
    if (auto loaded = context.store->read_for_status(context.profile)) {
      removed = loaded->credential;
    }
  } catch (const Error& error) {
    if (error.code() != ExitCode::relogin) {
      throw; // unreadable or of a newer format: not ours to remove blindly
    }
    context.warn(std::string(error.what()) + "; removing it anyway");
  }
  auto rescues = context.pending_rescues();
  {
    auto transaction = context.store->lock(context.profile, context.config.lock_timeout);
    transaction->remove();
  }
  std::vector<std::string> also;
  for (const auto& rescued : rescues) {
    if (std::remove(rescued.path.c_str()) == 0) {
      also.push_back(rescued.path);
    }
  }
  for (const char* suffix : {oauth::k_pending_suffix, k_rate_limit_suffix}) {
    auto path = context.store->companion_file(context.profile, suffix);
    if (std::remove(path.c_str()) == 0) {
      also.push_back(path);
    }
  }
  auto where = context.store->describe(context.profile);
  context.say(removed ? "removed the credentials from the " + where : "the " + where + " held no credentials");
  for (const auto& path : also) {
    context.say("also removed " + path);
  }
  context.say(revocation_note(removed));
  if (options.json) {
    nlohmann::ordered_json out = {{"schema", 1},
                                  {"profile", context.profile},
                                  {"credentials_file", context.credentials_path()},
                                  {"removed", removed.has_value()},
                                  {"also_removed", also}};
    print_stdout(util::dump_json(out, 2));
  }
  return 0;
}

} // namespace

std::unique_ptr<Command> logout_command() {
  return make_command<LogoutOptions>(
      {"logout",
       "Remove the profile's credentials (and what was kept beside them) from this store",
       define,
       {},
       run,
       [](const LogoutOptions& options) { return options.json; }});
}

} // namespace keap::commands
