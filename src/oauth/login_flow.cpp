#include "oauth/login_flow.hpp"

#include "core/destinations.hpp"
#include "oauth/token_client.hpp"
#include "store/rescue.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cctype>

namespace keap::oauth {

namespace {

bool mentions_pkce(const std::string& said) {
  auto text = util::lower(said);
  return text.find("code_verifier") != std::string::npos || text.find("code_challenge") != std::string::npos ||
         text.find("pkce") != std::string::npos;
}

/// A refused exchange says what most likely went wrong: PKCE only when the server says so.
Error explain_exchange_failure(const Error& error, const Config& config) {
  if (error.code() != ExitCode::failure) {
    return error;
  }
  if (config.pkce && mentions_pkce(error.what())) {
    return error.with_hint("this server does not accept keap-auth's PKCE: set \"pkce\": false in the config and "
                           "log in again");
  }
  return error.with_hint("the code may be wrong, already used or expired (codes are single-use and short-lived): "
                         "run `keap-auth login` again");
}

/// The new grant cannot replace what is stored: keep it aside rather than drop a grant the person has
/// just approved, and say where.
/// `use_in`: the profile the kept grant could replace (by default the one the login was for).
Error keep_aside(const LoginContext& context, const OAuthGrant& fresh, const std::string& why, const std::string& hint,
                 ExitCode code = ExitCode::usage, const std::optional<std::string>& use_in = std::nullopt) {
  auto [folder, stem] = context.store.rescue_location(context.profile);
  auto kept = store::write_rescue_file(store::rescue_folders(folder, context.environment), stem + ".login",
                                       serialize_credential(fresh));
  std::string where = kept ? "; the new grant was kept (0600) in " + *kept : "";
  auto target = use_in.value_or(context.profile);
  std::string use = kept ? "; to use it " + (use_in ? "for the profile \"" + target + "\"" : std::string("instead")) +
                               ", run `" + context.store.restore_command(*kept, target) + "`"
                         : "";
  return Error(code, why + where, hint + use);
}

/// The checks under the lock, against what is stored now.
void check_replaceable(const LoginContext& context, const std::optional<store::StoredCredential>& existing,
                       const OAuthGrant& fresh, std::vector<std::string>& notices) {
  if (!existing) {
    return;
  }
  auto described = context.store.describe(context.profile);
  const auto* grant = std::get_if<OAuthGrant>(&existing->credential);
  if (!grant) {
    if (!context.force) {
      throw keep_aside(context, fresh, described + " holds an API key, not an OAuth grant; it was left as it was",
                       "to replace the key, run `keap-auth login --force`");
    }
    notices.push_back("replaced the API key in " + described);
    return;
  }
  if (grant->client_id != fresh.client_id && !context.force) {
    throw keep_aside(context, fresh,
                     described + " belongs to client_id " + grant->client_id + ", not " + fresh.client_id +
                         "; it was left as it was",
                     "use another --credentials file, or run again with --force to replace it");
  }
  if (grant->app != fresh.app && !context.force) {
    throw keep_aside(context, fresh,
                     described + " holds Keap app " + display_app(grant->app) + " but this login granted app " +
                         display_app(fresh.app) + "; it was left as it was",
                     "to replace it, run `keap-auth login --force`; to keep both, use another --credentials file");
  }
  notices.push_back("replaced the earlier credentials (Keap app " + display_app(grant->app) + ") in " + described);
}

/// Two profiles never hold grants of the same client for the same Keap app.
void check_unshared(const LoginContext& context, const OAuthGrant& fresh) {
  for (const auto& other : context.store.profiles()) {
    if (other == context.profile) {
      continue;
    }
    std::optional<store::StoredCredential> loaded;
    try {
      loaded = context.store.read_for_status(other);
    } catch (const Error&) {
      continue; // damaged or unreadable: it holds no grant to share
    }
    const auto* grant = loaded ? std::get_if<OAuthGrant>(&loaded->credential) : nullptr;
    if (grant && grant->client_id == fresh.client_id && grant->app == fresh.app) {
      throw keep_aside(context, fresh,
                       "the profile \"" + other + "\" already holds a grant of client_id " + fresh.client_id +
                           " for Keap app " + display_app(fresh.app) +
                           "; two profiles must never share one (the "
                           "first refresh of either could end the other), so nothing was saved",
                       "log in to that profile instead (`keap-auth login --profile " + other +
                           "`), or remove its credentials first",
                       ExitCode::usage, other);
    }
  }
}

/// Where the grant goes: the profile asked for, or for --profile app the app it names.
LoginContext target_of(const LoginContext& context, const OAuthGrant& fresh) {
  if (!context.profile_from_app) {
    return context;
  }
  if (!fresh.app || !is_profile_name(*fresh.app)) {
    throw keep_aside(
        context, fresh,
        "--profile app: the server named " +
            (fresh.app ? "the app \"" + util::printable_excerpt(*fresh.app, 63) + "\", which is not a profile name"
                       : std::string("no Keap app in the scope")) +
            ", so the grant has no profile to go to",
        "log in again with --profile NAME");
  }
  LoginContext target = context;
  target.profile = *fresh.app;
  target.profile_from_app = false;
  return target;
}

/// The credential stored now, with a damaged one set aside first: a login is what fixes it.
std::optional<store::StoredCredential> stored_now(store::Transaction& transaction, std::vector<std::string>& notices) {
  try {
    return transaction.current();
  } catch (const Error& error) {
    if (error.code() != ExitCode::relogin) {
      throw; // a newer format, say: never downgraded
    }
    auto aside = transaction.set_aside_damaged();
    notices.push_back(std::string(error.what()) + "; replaced it" +
                      (aside ? ", keeping the damaged file as " + *aside : ""));
    return std::nullopt;
  }
}

} // namespace

std::vector<std::string> prepare_login(const LoginContext& context) {
  require_client_credentials(context.config);
  check_secret_destination(context.config);
  std::vector<std::string> notices;
  if (auto created = context.store.check_writable(context.profile)) {
    notices.push_back(*created);
  }
  std::optional<store::StoredCredential> existing;
  try {
    existing = context.store.read_for_status(context.profile);
  } catch (const Error& error) {
    if (error.code() != ExitCode::relogin) {
      throw; // unreadable, or a newer format: a login could not replace it
    }
    notices.push_back(std::string(error.what()) + "; a successful login will replace it (the damaged file is kept)");
    return notices;
  }
  const auto* grant = existing ? std::get_if<OAuthGrant>(&existing->credential) : nullptr;
  if (grant && grant->client_id != context.config.client_id && !context.force) {
    throw Error(ExitCode::usage,
                context.store.describe(context.profile) + " belongs to client_id " + grant->client_id + ", not " +
                    context.config.client_id + "; nothing was changed",
                "use another --credentials file, or run again with --force to replace it");
  }
  return notices;
}

LoginResult complete_login(const LoginContext& context, const std::string& code, const std::string& redirect_uri,
                           const std::string& code_verifier) {
  const auto& config = context.config;
  check_secret_destination(config);
  TokenEndpoint endpoint{*util::parse_url(config.token_url), config.token_auth, config.client_id, config.client_secret};
  LoginResult result;
  {
    // The code is spent once it is sent: from then on, finish saving before honouring a signal.
    util::DeferInterrupts critical;
    TokenResponse tokens;
    try {
      tokens = exchange_code(context.http, endpoint, code, redirect_uri, code_verifier, context.retry);
    } catch (const Error& error) {
      throw explain_exchange_failure(error, config);
    }
    result.grant = grant_from_response(tokens, endpoint, util::now_seconds());
    if (!config.store_client_secret) {
      result.grant.client_secret.clear(); // a refresh takes it from the config or the environment
    }
    auto target = target_of(context, result.grant);
    result.profile = target.profile;
    result.saved_to = target.store.describe(target.profile) + " (" + target.store.protection() + ")";
    result.location = target.store.location(target.profile);
    std::unique_ptr<store::Transaction> transaction;
    std::optional<store::StoredCredential> existing;
    try {
      transaction = target.store.lock(target.profile, config.lock_timeout);
      existing = stored_now(*transaction, result.notices);
    } catch (const Error& error) {
      throw keep_aside(target, result.grant, error.what(), error.hint(), error.code());
    }
    check_replaceable(target, existing, result.grant, result.notices);
    check_unshared(target, result.grant);
    try {
      transaction->commit(result.grant);
    } catch (const Error& failure) {
      throw store::rescue(target.store, target.profile, result.grant, failure, store::RescueCause::login,
                          target.environment);
    }
  }
  result.interrupted = util::interrupt_requested();
  return result;
}

} // namespace keap::oauth
