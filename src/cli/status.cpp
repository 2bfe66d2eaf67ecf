#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"

#include <ctime>

namespace keap::cli {

namespace {

/// The state of the credentials at one moment, without secrets.
struct Status {
  bool exists = false;
  bool access_valid = false;
  bool usable = false;
  std::string next_step;
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

Status assess(const std::optional<OAuthGrant>& grant, std::chrono::seconds lifetime, util::TimePoint now) {
  Status status;
  if (!grant) {
    status.next_step = "run `keap-auth login`";
    return status;
  }
  status.exists = true;
  status.access_valid = !access_token_expires_within(*grant, std::chrono::seconds(0), now);
  auto dies = refresh_token_expected_expiry(*grant, lifetime);
  status.usable = now < dies;
  auto age = refresh_token_age(*grant, now);
  if (!status.usable) {
    status.next_step = "the refresh token is past its expected life: run `keap-auth login`";
  } else if (age >= std::chrono::days(30)) {
    status.next_step = "refresh soon, before " + util::format_rfc3339(dies) + ": run `keap-auth refresh`";
  } else if (!status.access_valid) {
    status.next_step = "the access token has expired; `keap-auth token` (or `keap-auth refresh`) gets a new one";
  } else {
    status.next_step = "nothing now; schedule `keap-auth refresh --if-older-than 30d` daily to keep it alive";
  }
  return status;
}

void line(const std::string& text) { print_stdout(text + "\n"); }

void print_human(const Context& context, const std::optional<OAuthGrant>& grant, const Status& status,
                 util::TimePoint now) {
  const auto& config = context.config;
  if (!grant) {
    line("no credentials at " + config.credentials_file);
    line("next: " + status.next_step);
    return;
  }
  auto dies = refresh_token_expected_expiry(*grant, config.refresh_token_lifetime);
  line("credentials: " + config.credentials_file);
  line("Keap app:    " + display_app(grant->app) + " (client " + grant->client_id + ")");
  line(std::string("access token ") + (status.access_valid ? "expires " : "expired ") + local_time(grant->expires_at) +
       " (" + relative(grant->expires_at, now) + ")");
  line("refresh token obtained " + local_time(grant->refresh_token_obtained_at) + " (" +
       util::format_duration(refresh_token_age(*grant, now)) + " old), expected to " +
       (status.usable ? "expire " : "have expired ") + local_time(dies) + " (" + relative(dies, now) + ")");
  line("next: " + status.next_step);
}

void print_json(const Context& context, const std::optional<OAuthGrant>& grant, const Status& status,
                util::TimePoint now) {
  const auto& config = context.config;
  nlohmann::ordered_json out = {{"credentials_file", config.credentials_file}, {"exists", status.exists}};
  if (grant) {
    auto dies = refresh_token_expected_expiry(*grant, config.refresh_token_lifetime);
    out["app"] = util::or_null<nlohmann::ordered_json>(grant->app);
    out["scope"] = grant->scope;
    out["client_id"] = grant->client_id;
    out["access_token_valid"] = status.access_valid;
    out["access_token_expires_at"] = util::format_rfc3339(grant->expires_at);
    out["access_token_expires_in_seconds"] = (grant->expires_at - now).count();
    out["refresh_token_obtained_at"] = util::format_rfc3339(grant->refresh_token_obtained_at);
    out["refresh_token_age_seconds"] = refresh_token_age(*grant, now).count();
    out["refresh_token_expected_expiry"] = util::format_rfc3339(dies);
  }
  out["usable"] = status.usable;
  out["next_step"] = status.next_step;
  print_stdout(util::dump_json(out, 2));
}

} // namespace

int run_status(const CommandLine& line) {
  auto context = open_context(line.global);
  auto loaded = context.store->load(context.profile);
  std::optional<OAuthGrant> grant;
  if (loaded) {
    context.warn_all(loaded->warnings);
    grant = as_grant(loaded->credential, "status");
  }
  auto now = util::now_seconds();
  auto status = assess(grant, context.config.refresh_token_lifetime, now);
  if (line.status.json) {
    print_json(context, grant, status, now);
  } else {
    print_human(context, grant, status, now);
  }
  return status.usable ? 0 : static_cast<int>(ExitCode::relogin);
}

} // namespace keap::cli
