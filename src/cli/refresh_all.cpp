// `keap-auth refresh --all`: the one scheduled job for every credential the store holds. Each is
// refreshed under its own lock with the single refresh's re-read-and-decide; one failure never stops
// the others; the exit code is the most urgent one seen.
#include "cli/refresh_all.hpp"

#include "cli/inventory.hpp"
#include "cli/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
#include "util/signals.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>

namespace keap::cli {

namespace {

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
    auto loaded = job.context.store->inspect(profile);
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
    oauth::RefreshSettings settings{lock_timeout, {}, job.context.environment, std::nullopt, {}};
    settings.retry.deadline = config.refresh_deadline;
    settings.interrupt_after_save = false; // a pair saved after a signal is a refresh that worked
    settings.secret_if_missing = config.client_secret;
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

} // namespace

int run_refresh_all(const Context& context, const RefreshOptions& options, const RefreshConditions& conditions) {
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

} // namespace keap::cli
