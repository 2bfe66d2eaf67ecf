// `keap-auth refresh`: one credential's pair refreshed now or when a condition holds, and `refresh --all`,
// the one scheduled job for every credential the store holds: each refreshed under its own lock with
// the single refresh's re-read-and-decide; one failure never stops the others; the exit code is the
// most urgent one seen.
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "cli/inventory.hpp"
#include "core/config_keys.hpp"
#include "term/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
#include "util/signals.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct RefreshOptions {
  bool force = false;
  std::optional<std::string> if_older_than;
  std::optional<std::string> if_expires_within;
  bool use_config_client = false; ///< refresh as the config's client, and store it with the new pair
  bool json = false;
  bool all = false;                  ///< --all: every credential the store holds
  int jobs = 1;                      ///< --jobs: how many at once, with --all
  std::optional<std::string> jitter; ///< --jitter DUR: a random wait first, with --all
};

void define(CLI::App& refresh, RefreshOptions& options, GlobalOptions& global) {
  refresh.add_flag("--force", options.force, "Refresh even if the conditions given do not hold");
  refresh.add_option("--if-older-than", options.if_older_than, "Only if the refresh token is at least DUR old")
      ->type_name("DUR")
      ->check(duration_check(false));
  refresh.add_option("--if-expires-within", options.if_expires_within, "Only if the access token expires within DUR")
      ->type_name("DUR")
      ->check(duration_check(false));
  refresh.add_flag("--use-config-client", options.use_config_client,
                   "Refresh as the client the config names (after rotating the client secret) and store it");
  refresh.add_flag("--json", options.json, "Print what was done as JSON on stdout");
  refresh.add_flag("--all", options.all, "Every credential the store holds, each under its own lock");
  refresh.add_option("--jobs", options.jobs, "With --all: how many at once (1 to 8; default 1)")
      ->check(CLI::Range(1, 8));
  refresh.add_option("--jitter", options.jitter, "With --all: first wait a random time up to DUR (cron on many hosts)")
      ->type_name("DUR")
      ->check(duration_check(true));
  add_config_flag(refresh, global, "lock_timeout");
}

RefreshConditions conditions_of(const RefreshOptions& options) {
  RefreshConditions conditions;
  conditions.force = options.force;
  if (options.if_older_than) {
    conditions.if_older_than = duration_value("--if-older-than", *options.if_older_than, true);
  }
  if (options.if_expires_within) {
    conditions.if_expires_within = duration_value("--if-expires-within", *options.if_expires_within, true);
  }
  return conditions;
}

void print_json(const Context& context, const oauth::RefreshResult& result, const RefreshConditions& conditions) {
  const auto& grant = result.grant;
  nlohmann::ordered_json out = {
      {"schema", 1},
      {"credentials_file", context.credentials_path()},
      {"kind", "oauth_grant"},
      {"refreshed", result.refreshed()},
      {"reason", result.refreshed() ? nlohmann::ordered_json(reason_code(result.reason)) : nullptr},
      {"reason_text", describe_reason(result.reason, conditions)},
      {"changed_while_waiting", result.changed_while_waiting},
      {"app", util::or_null<nlohmann::ordered_json>(grant.app)},
      {"access_token_expires_at", util::format_rfc3339(grant.expires_at)},
      {"refresh_token_obtained_at", util::format_rfc3339(grant.refresh_token_obtained_at)},
      {"warnings", result.warnings}};
  print_stdout(util::dump_json(out, 2));
}

/// A key never expires: there is nothing to refresh, which is a success.
int key_needs_nothing(const Context& context, const RefreshOptions& options, const ApiKey& key) {
  auto text = "nothing to refresh: the credentials are " + describe_key_kind(key.kind) + ", which does not expire";
  if (options.json) {
    nlohmann::ordered_json out = {{"schema", 1},
                                  {"credentials_file", context.credentials_path()},
                                  {"kind", "api_key"},
                                  {"refreshed", false},
                                  {"reason", nullptr},
                                  {"reason_text", text},
                                  {"changed_while_waiting", false},
                                  {"app", nullptr},
                                  {"access_token_expires_at", nullptr},
                                  {"refresh_token_obtained_at", nullptr},
                                  {"warnings", nlohmann::ordered_json::array()}};
    print_stdout(util::dump_json(out, 2));
  }
  context.say(text);
  return 0;
}

// refresh --all

using Json = nlohmann::ordered_json;

enum class Outcome { refreshed, not_needed, skipped, failed, not_attempted };

const char* outcome_code(Outcome outcome) {
  switch (outcome) {
  case Outcome::refreshed:
    return "refreshed";
  case Outcome::not_needed:
    return "not_needed";
  case Outcome::skipped:
    return "skipped";
  case Outcome::failed:
    return "failed";
  case Outcome::not_attempted:
    return "not_attempted";
  }
  return "failed";
}

struct Result {
  std::string profile;
  Outcome outcome = Outcome::not_attempted;
  std::string kind; ///< oauth_grant, api_key, or empty when there was nothing readable
  RefreshReason reason = RefreshReason::none;
  std::string text; ///< what happened, for the line and --json
  std::optional<Error> error;
  std::optional<OAuthGrant> grant; ///< as it stands afterwards (for the app and the expiry; never printed whole)
};

/// Most urgent first: a login needed, then a failure that may pass, then the rest.
int urgency(int code) {
  switch (code) {
  case 4:
    return 5;
  case 5:
    return 4;
  case 1:
    return 3;
  case 2:
    return 2;
  case 0:
    return 0;
  default:
    return 1;
  }
}

struct Job {
  const Context& context;
  const RefreshConditions& conditions;
  std::map<std::string, Config> configs; ///< computed before the workers start
};

Result refresh_one(const Job& job, net::HttpClient& http, const std::string& profile) {
  Result result;
  result.profile = profile;
  const auto& config = job.configs.at(profile);
  try {
    auto loaded = job.context.store->read_for_status(profile);
    if (loaded && std::holds_alternative<ApiKey>(loaded->credential)) {
      result.outcome = Outcome::skipped;
      result.kind = "api_key";
      result.text = "skipped: an API key has nothing to refresh";
      return result;
    }
    const auto* stored = loaded ? std::get_if<OAuthGrant>(&loaded->credential) : nullptr;
    if (stored && stored->last_refresh_failure && stored->last_refresh_failure->kind == "rejected") {
      // A rejected refresh token stays dead: asking again would only cost a call to Keap.
      throw Error(ExitCode::relogin, "the refresh token was rejected at " +
                                         util::format_rfc3339(stored->last_refresh_failure->at) + "; nothing was sent");
    }
    if (stored && stored->last_refresh_failure && !job.conditions.force &&
        job.context.store->now() - stored->last_refresh_failure->at < config.failure_cooldown) {
      // Hosts that share a store would otherwise all hammer a failing endpoint, one after another. The
      // credential still failed: the run's exit code says so.
      const auto& failure = *stored->last_refresh_failure;
      result.outcome = Outcome::skipped;
      result.kind = "oauth_grant";
      result.text = "skipped: its refresh failed at " + util::format_rfc3339(failure.at) +
                    ", less than failure_cooldown (" + util::format_duration(config.failure_cooldown) +
                    ") ago: " + failure.message;
      result.error = Error(failure.kind == "unavailable" ? ExitCode::unavailable : ExitCode::failure, result.text,
                           "it is tried again after the cooldown, or now with --force");
      return result;
    }
    // Where hosts share the work, a locked credential is another host's: skip it rather than wait.
    auto lock_timeout = job.context.store->shares_work() ? std::chrono::milliseconds(0) : config.lock_timeout;
    auto settings = refresh_settings(config, job.context.environment);
    settings.lock_timeout = lock_timeout;
    settings.interrupt_after_save = false; // a pair saved after a signal is a refresh that worked
    auto refreshed = oauth::refresh_grant(
        *job.context.store, profile, http, settings,
        [&](const OAuthGrant& grant, util::TimePoint now) { return refresh_reason(grant, job.conditions, now); });
    result.kind = "oauth_grant";
    result.grant = refreshed.grant;
    result.reason = refreshed.reason;
    auto now = util::now_seconds();
    if (refreshed.refreshed()) {
      result.outcome = Outcome::refreshed;
      result.text = "refreshed because " + describe_reason(refreshed.reason, job.conditions) +
                    "; the access token expires at " + util::format_rfc3339(refreshed.grant.expires_at);
    } else {
      result.outcome = Outcome::not_needed;
      auto left = refreshed.grant.expires_at - now;
      result.text = "not needed: the refresh token is " +
                    util::format_duration(refresh_token_age(refreshed.grant, now)) + " old and the access token " +
                    (left.count() > 0 ? "expires " : "expired ") + util::format_relative(left);
    }
  } catch (const Error& error) {
    if (job.context.store->shares_work() && dynamic_cast<const store::Busy*>(&error) != nullptr) {
      result.outcome = Outcome::skipped;
      result.text = "skipped: busy elsewhere (another host is refreshing it now)";
      return result;
    }
    result.outcome = Outcome::failed;
    result.error = error;
    result.text = error.what();
  }
  return result;
}

/// The line for one credential: on stderr as it finishes (a failure even with --quiet).
void report_line(const Context& context, const Result& result) {
  if (result.outcome != Outcome::failed) {
    context.say(result.profile + ": " + result.text);
    return;
  }
  const auto& error = *result.error;
  auto hint = error.hint();
  if (error.code() == ExitCode::relogin) {
    hint = "run `" + command_for("login", result.profile) + "`" + (hint.empty() ? "" : " (" + hint + ")");
  }
  Error line(error.code(),
             result.profile + ": failed (exit " + std::to_string(static_cast<int>(error.code())) + "): " + error.what(),
             hint);
  print_error(error.sensitive() ? line.with_sensitive(*error.sensitive()) : line);
}

/// A random pause up to `jitter`, so cron jobs on many hosts do not all start at minute 0. Ends early
/// on Ctrl-C or SIGTERM (which are deferred during the whole run).
void wait_jitter(const Context& context, std::chrono::seconds jitter) {
  if (jitter.count() == 0) {
    return;
  }
  std::mt19937_64 random{std::random_device{}()};
  auto pause = std::chrono::milliseconds(
      std::uniform_int_distribution<long long>(0, std::chrono::milliseconds(jitter).count())(random));
  context.note("waiting " + std::to_string(pause.count()) + " ms first (--jitter)");
  auto until = std::chrono::steady_clock::now() + pause;
  while (std::chrono::steady_clock::now() < until && !util::interrupt_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// "refresh --all: 12/40 done, 1 failed", on a terminal only (and not with --quiet).
std::string progress_text(size_t done, size_t total, int failed) {
  return "refresh --all: " + std::to_string(done) + "/" + std::to_string(total) + " done" +
         (failed > 0 ? ", " + std::to_string(failed) + " failed" : "");
}

std::vector<Result> run_jobs(const Job& job, const std::vector<std::string>& profiles, int jobs) {
  std::vector<Result> results(profiles.size());
  std::atomic<size_t> next{0};
  std::mutex printing;
  size_t done = 0;
  int failed = 0;
  ProgressLine progress;
  auto show = [&] {
    if (!job.context.quiet && !profiles.empty()) {
      progress.show(progress_text(done, profiles.size(), failed));
    }
  };
  show();
  auto worker = [&] {
    net::HttpClient http(job.context.http->options()); // a client per thread: connections are not shared
    for (size_t index = next++; index < profiles.size() && !util::interrupt_requested(); index = next++) {
      results[index] = refresh_one(job, http, profiles[index]);
      std::lock_guard lock(printing);
      report_line(job.context, results[index]);
      ++done;
      failed += results[index].outcome == Outcome::failed ? 1 : 0;
      show();
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < std::min<int>(jobs, static_cast<int>(profiles.size())); ++i) {
    threads.emplace_back(worker);
  }
  worker();
  for (auto& thread : threads) {
    thread.join();
  }
  for (size_t i = 0; i < profiles.size(); ++i) {
    results[i].profile = profiles[i]; // the ones never attempted keep their name
  }
  return results;
}

Json result_json(const Result& result) {
  const auto* error = result.error ? &*result.error : nullptr;
  const auto* grant = result.grant ? &*result.grant : nullptr;
  return {{"profile", result.profile},
          {"kind", result.kind.empty() ? Json(nullptr) : Json(result.kind)},
          {"outcome", outcome_code(result.outcome)},
          {"reason", result.outcome == Outcome::refreshed ? Json(reason_code(result.reason)) : Json(nullptr)},
          {"text", result.text},
          {"exit_code", error ? static_cast<int>(error->code()) : 0},
          {"class", error ? Json(exit_class(error->code())) : Json(nullptr)},
          {"hint", error && !error->hint().empty() ? Json(error->hint()) : Json(nullptr)},
          {"rescue_file", error && !error->rescue_file().empty() ? Json(error->rescue_file()) : Json(nullptr)},
          {"app", grant ? util::or_null<Json>(grant->app) : Json(nullptr)},
          {"access_token_expires_at", grant ? Json(util::format_rfc3339(grant->expires_at)) : Json(nullptr)}};
}

/// `refresh --all`: every credential the store holds, `options.jobs` at a time, each under its own
/// lock; one line each and a summary on stderr, one object each and totals with --json. Returns the
/// most urgent exit code seen (4 before 5 before 1 before 2; 130 when interrupted).
int run_all(const Context& context, const RefreshOptions& options, const RefreshConditions& conditions) {
  auto profiles = context.store->profiles();
  util::DeferInterrupts whole_run; // a signal lets the refreshes in flight finish, then ends the run
  Job job{context, conditions, {}};
  ProfileConfigs configs(context);
  for (const auto& profile : profiles) {
    job.configs.emplace(profile, configs.of(profile));
  }
  wait_jitter(context, options.jitter ? duration_value("--jitter", *options.jitter, true) : std::chrono::seconds(0));
  auto results = run_jobs(job, profiles, options.jobs);

  std::map<Outcome, int> counts;
  int code = 0;
  for (const auto& result : results) {
    ++counts[result.outcome];
    int own = result.error ? static_cast<int>(result.error->code()) : 0;
    code = urgency(own) > urgency(code) ? own : code;
  }
  if (util::interrupt_requested()) {
    code = static_cast<int>(ExitCode::interrupted);
  }
  std::string summary = "refresh --all: " + std::to_string(results.size()) +
                        " credentials: " + std::to_string(counts[Outcome::refreshed]) + " refreshed, " +
                        std::to_string(counts[Outcome::not_needed]) + " not needed, " +
                        std::to_string(counts[Outcome::skipped]) + " skipped, " +
                        std::to_string(counts[Outcome::failed]) + " failed";
  if (counts[Outcome::not_attempted] > 0) {
    summary += ", " + std::to_string(counts[Outcome::not_attempted]) + " not attempted (interrupted)";
  }
  context.say(results.empty() ? "refresh --all: the store holds no credentials (profiles live in " +
                                    context.config.credentials_dir + ")"
                              : summary);
  if (options.json) {
    Json list = Json::array();
    for (const auto& result : results) {
      list.push_back(result_json(result));
    }
    Json totals = {{"credentials", results.size()}};
    for (auto outcome :
         {Outcome::refreshed, Outcome::not_needed, Outcome::skipped, Outcome::failed, Outcome::not_attempted}) {
      totals[outcome_code(outcome)] = counts[outcome];
    }
    print_stdout(util::dump_json(Json{{"schema", 1}, {"results", list}, {"totals", totals}, {"exit_code", code}}, 2));
  }
  return code;
}

int run(const RefreshOptions& options, const GlobalOptions& global) {
  auto conditions = conditions_of(options);
  auto context = open_context(global);
  if (options.all) {
    return run_all(context, options, conditions);
  }
  if (auto key = context.key()) {
    return key_needs_nothing(context, options, *key);
  }
  auto settings = context.refresh_settings();
  if (options.use_config_client) {
    settings.replacement_client = config_client(context.config);
  }
  bool explained = false; // the decision is made twice: lock-free, then under the lock
  auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, settings,
                                     [&](const OAuthGrant& grant, util::TimePoint now) {
                                       auto reason = refresh_reason(grant, conditions, now);
                                       if (reason != RefreshReason::none && !std::exchange(explained, true)) {
                                         explain_client_differences(context, grant, options.use_config_client);
                                       }
                                       return reason;
                                     });
  context.warn_all(result.warnings);
  if (options.json) {
    print_json(context, result, conditions);
  }
  if (result.changed_while_waiting) {
    context.say("the credentials changed while this refresh waited for the lock (another refresh or a login); it "
                "decided on what they hold now");
  }
  auto now = util::now_seconds();
  const auto& grant = result.grant;
  auto left = grant.expires_at - now;
  auto access = left.count() >= 0 ? "expires " + util::format_relative(left) : "expired " + util::format_relative(left);
  if (!result.refreshed()) {
    // A scheduled job that has nothing to do says nothing: cron mails whatever a job prints.
    context.note("nothing to do: the refresh token is " + util::format_duration(refresh_token_age(grant, now)) +
                 " old and the access token " + access);
    return 0;
  }
  context.say("refreshed because " + describe_reason(result.reason, conditions) + "; new pair saved to the " +
              context.store->describe(context.profile));
  context.say("the access token expires at " + util::format_rfc3339(grant.expires_at) + " (" +
              util::format_relative(left) + ")");
  return 0;
}

} // namespace

std::unique_ptr<Command> refresh_command() {
  return make_command<RefreshOptions>(
      {"refresh",
       "Refresh the token pair now, or when a condition holds",
       define,
       {every_credential_rule<RefreshOptions>([](const RefreshOptions& options) { return options.all; }),
        {[](const RefreshOptions& options, const GlobalOptions&) {
           return !options.all && (options.jobs != 1 || options.jitter);
         },
         "--jobs and --jitter go with --all", "add --all"},
        {[](const RefreshOptions& options, const GlobalOptions&) { return options.all && options.use_config_client; },
         "--use-config-client replaces one grant's client; with --all it would change every profile's",
         "run it for one profile: keap-auth refresh --profile NAME --use-config-client"}},
       run,
       [](const RefreshOptions& options) { return options.json; }});
}

} // namespace keap::commands
