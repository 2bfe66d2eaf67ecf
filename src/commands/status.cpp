#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "cli/inventory.hpp"
#include "cli/remembered_limits.hpp"
#include "oauth/pending_login.hpp"
#include "term/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"

#include <CLI/CLI.hpp>

#include <ctime>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct StatusOptions {
  bool json = false;
  bool all = false; ///< --all: `list` with the next step per credential
};

void define(CLI::App& status, StatusOptions& options, GlobalOptions&) {
  status.add_flag("--json", options.json, "Print it as JSON on stdout");
  status.add_flag("--all", options.all, "Every credential the store holds, with the next step for each");
}

using Json = nlohmann::ordered_json;

/// The state of the credentials at one moment, without secrets.
struct Status {
  std::optional<OAuthGrant> grant;
  std::optional<ApiKey> key;
  bool key_from_environment = false; ///< KEAP_API_KEY, which is used and never stored
  std::optional<std::pair<api::RateLimits, util::TimePoint>> rate_limits; ///< as the last `api` call saw them
  bool access_valid = false;
  bool usable = false;
  std::string next_step;
  std::vector<std::string> warnings;          ///< a clock that is off, say
  std::optional<oauth::PendingLogin> pending; ///< an unfinished two-step login
  util::TimePoint pending_expires_at;
  std::vector<store::PendingRescue> rescues; ///< newer credentials than the store holds, waiting for a `mv`
};

std::string local_time(util::TimePoint time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &local);
  return text;
}

std::string relative(util::TimePoint time, util::TimePoint now) { return util::format_relative(time - now); }

Status assess(const Context& context, const std::optional<Credential>& credential, util::TimePoint now) {
  const auto& config = context.config;
  Status status;
  std::optional<OAuthGrant> grant;
  if (credential) {
    if (const auto* key = std::get_if<ApiKey>(&*credential)) {
      status.key = *key;
    } else {
      grant = std::get<OAuthGrant>(*credential);
    }
  }
  status.grant = grant;
  status.key_from_environment = context.key_from_environment();
  status.rate_limits = remembered_rate_limits(context);
  status.rescues = context.pending_rescues();
  auto pending_file = context.store->companion_file(context.profile, oauth::k_pending_suffix);
  try {
    status.pending = oauth::load_pending(pending_file);
  } catch (const Error&) {
  }
  if (status.pending) {
    status.pending_expires_at = status.pending->created_at + config.pending_lifetime;
    if (status.pending_expires_at <= now) {
      status.pending.reset();
    }
  }
  if (!status.rescues.empty()) {
    // What the store holds was replaced by what the rescue file holds (a refresh rotated it, or a login
    // spent its code): until it is in place, the store's copy is not the one to use.
    status.next_step = "put the newer credentials in place: `" + status.rescues.front().restore + "`";
    status.access_valid = grant && grant->expires_at > now;
    return status;
  }
  if (status.key) {
    status.usable = true;
    status.next_step = "nothing: a key does not expire; `keap-auth api v1/account/profile` checks that Keap still "
                       "accepts it";
    return status;
  }
  if (!grant) {
    status.next_step = context.unknown_profile_hint().value_or("run `" + command_for("login", context.profile) + "`");
    return status;
  }
  status.access_valid = grant->expires_at > now;
  status.usable = grant_usable(*grant, config.refresh_token_lifetime, now);
  auto ahead = std::max(grant->refresh_token_obtained_at, grant->obtained_at) - now;
  if (ahead > k_clock_skew_tolerance) {
    status.warnings.push_back(
        "the credentials were obtained " + util::format_duration(ahead) + " in the future by this machine's clock (" +
        util::format_rfc3339(grant->refresh_token_obtained_at) + "), more than the " +
        util::format_duration(k_clock_skew_tolerance) + " of skew keap-auth tolerates: check the clock");
  }
  status.next_step = next_step_for(*grant, context.profile, config.refresh_token_lifetime, now);
  return status;
}

void line(const std::string& text) { print_stdout(text + "\n"); }

std::string age_text(const OAuthGrant& grant, util::TimePoint now) {
  auto age = refresh_token_age(grant, now);
  if (age < -k_clock_skew_tolerance) {
    return "in the future: check the clock";
  }
  return util::format_duration(std::max(age, std::chrono::seconds(0))) + " old";
}

/// "expires 2026-12-08 10:00:00 UTC (in 23h 59m)", with what keap-auth will do about a token inside
/// its refresh margin or past its end.
std::string access_text(const OAuthGrant& grant, util::TimePoint now) {
  auto left = grant.expires_at - now;
  std::string when = local_time(grant.expires_at) + " (" + relative(grant.expires_at, now);
  if (left.count() > 0 && left <= k_expiry_margin) {
    when +=
        ", inside the " + util::format_duration(k_expiry_margin) + " refresh margin: `keap-auth token` refreshes it";
  }
  return std::string(left.count() > 0 ? "expires " : "expired ") + when + ")";
}

std::string rate_limits_text(const Status& status, util::TimePoint now) {
  const auto& [limits, seen] = *status.rate_limits;
  return "rate limits: " + api::describe_rate_limits(limits) + " (seen " + util::format_relative(seen - now) + ")";
}

void print_human(const Context& context, const Status& status, util::TimePoint now) {
  const auto& config = context.config;
  if (status.key) {
    line(status.key_from_environment ? std::string("credentials: KEAP_API_KEY (used, never stored)")
                                     : "credentials: " + context.credentials_path());
    line("kind:        " + describe_key_kind(status.key->kind) + ", sent in X-Keap-API-Key; it does not expire");
    if (!status.key_from_environment) {
      line("stored:      " + local_time(status.key->obtained_at) + " (" + relative(status.key->obtained_at, now) + ")");
    }
  } else if (!status.grant) {
    line("no credentials in the " + context.store->describe(context.profile));
  } else {
    const auto& grant = *status.grant;
    auto dies = refresh_token_expected_expiry(grant, config.refresh_token_lifetime);
    line("credentials: " + context.credentials_path());
    line("Keap app:    " + display_app(grant.app) + " (client " + grant.client_id + ")");
    line("access token " + access_text(grant, now));
    line("refresh token obtained " + local_time(grant.refresh_token_obtained_at) + " (" + age_text(grant, now) +
         "), expected to " + (now < dies ? "expire " : "have expired ") + local_time(dies) + " (" +
         relative(dies, now) + ")");
    if (const auto& failure = grant.last_refresh_failure) {
      line("last refresh failed " + local_time(failure->at) + " (" + failure->kind + "): " + failure->message);
    }
  }
  if (status.pending) {
    line("a two-step login is pending since " + local_time(status.pending->created_at) + " (until " +
         local_time(status.pending_expires_at) +
         "): finish it with `keap-auth login --finish -` and paste the address");
  }
  if (status.rate_limits) {
    line(rate_limits_text(status, now));
  }
  for (const auto& advice : context.rescue_advice()) {
    line(advice);
  }
  for (const auto& warning : status.warnings) {
    line("warning: " + warning);
  }
  line("next: " + status.next_step);
}

std::vector<std::string> rescue_paths(const Status& status) {
  std::vector<std::string> paths;
  for (const auto& rescued : status.rescues) {
    paths.push_back(rescued.path);
  }
  return paths;
}

Json failure_json(const std::optional<RefreshFailure>& failure) {
  if (!failure) {
    return nullptr;
  }
  return {{"at", util::format_rfc3339(failure->at)}, {"kind", failure->kind}, {"message", failure->message}};
}

void print_json(const Context& context, const Status& status, util::TimePoint now) {
  const auto& config = context.config;
  const auto* grant = status.grant ? &*status.grant : nullptr;
  auto time_or_null = [&](auto pick) -> Json { return grant ? Json(util::format_rfc3339(pick(*grant))) : nullptr; };
  auto age = grant ? refresh_token_age(*grant, now).count() : 0;
  Json out = {
      {"schema", 1},
      {"credentials_file", context.credentials_path()},
      {"exists", grant != nullptr || (status.key && !status.key_from_environment)},
      {"kind", grant        ? Json("oauth_grant")
               : status.key ? Json("api_key")
                            : nullptr},
      {"key_kind", status.key ? Json(key_kind_name(status.key->kind)) : nullptr},
      {"key_from_environment", status.key_from_environment},
      {"app", grant ? util::or_null<Json>(grant->app) : nullptr},
      {"scope", grant ? Json(grant->scope) : nullptr},
      {"client_id", grant ? Json(grant->client_id) : nullptr},
      {"access_token_valid", status.key ? Json(nullptr) : Json(status.access_valid)},
      {"access_token_inside_refresh_margin",
       grant ? Json(status.access_valid && access_token_expires_within(*grant, std::chrono::seconds(0), now))
             : Json(nullptr)},
      {"access_token_expires_at", time_or_null([](const OAuthGrant& g) { return g.expires_at; })},
      {"access_token_expires_in_seconds", grant ? Json((grant->expires_at - now).count()) : nullptr},
      {"refresh_token_obtained_at", time_or_null([](const OAuthGrant& g) { return g.refresh_token_obtained_at; })},
      {"refresh_token_age_seconds", grant && age >= 0 ? Json(age) : nullptr},
      {"refresh_token_expected_expiry", time_or_null([&](const OAuthGrant& g) {
         return refresh_token_expected_expiry(g, config.refresh_token_lifetime);
       })},
      {"refresh_soon_after_seconds", refresh_soon_age(config.refresh_token_lifetime).count()},
      {"last_refresh_failure", failure_json(grant ? grant->last_refresh_failure : std::nullopt)},
      {"pending_login", status.pending ? Json{{"created_at", util::format_rfc3339(status.pending->created_at)},
                                              {"expires_at", util::format_rfc3339(status.pending_expires_at)}}
                                       : Json(nullptr)},
      {"rate_limits", status.rate_limits ? Json{{"seen_at", util::format_rfc3339(status.rate_limits->second)},
                                                {"windows", api::rate_limits_json(status.rate_limits->first)}}
                                         : Json(nullptr)},
      {"rescue_files", rescue_paths(status)},
      {"usable", status.usable},
      {"login_needed", !status.usable},
      {"next_step", status.next_step},
      {"warnings", status.warnings}};
  print_stdout(util::dump_json(out, 2));
}

int run(const StatusOptions& options, const GlobalOptions& global) {
  auto context = open_context(global);
  if (options.all) {
    return print_inventory(context, take_inventory(context, util::now_seconds()), options.json, true);
  }
  std::optional<Credential> credential;
  if (context.key_from_environment()) {
    credential = context.credential();
  } else if (auto loaded = context.store->read_for_status(context.profile)) {
    context.warn_all(loaded->warnings);
    credential = loaded->credential;
  }
  auto now = util::now_seconds();
  auto status = assess(context, credential, now);
  if (options.json) {
    print_json(context, status, now);
  } else {
    print_human(context, status, now);
  }
  return status.usable ? 0 : static_cast<int>(ExitCode::relogin);
}

} // namespace

std::unique_ptr<Command> status_command() {
  return make_command<StatusOptions>(
      {"status",
       "Show the credentials' state and what to do next (no secrets)",
       define,
       {every_credential_rule<StatusOptions>([](const StatusOptions& options) { return options.all; })},
       run,
       [](const StatusOptions& options) { return options.json; }});
}

} // namespace keap::commands
