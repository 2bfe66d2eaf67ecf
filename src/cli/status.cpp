#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "credential_store.hpp"
#include "duration.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace keap::cli {

namespace {

/// The state of a credentials file at one moment, without secrets.
struct Status {
  bool exists = false;
  bool access_valid = false;
  bool usable = false;
  std::string next_step;
};

std::string local_time(TimePoint time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &local);
  return text;
}

std::string relative(TimePoint time, TimePoint now) { return format_relative(time - now); }

Status assess(const std::optional<Credentials>& credentials, std::chrono::seconds lifetime, TimePoint now) {
  Status status;
  if (!credentials) {
    status.next_step = "run `keap-auth login`";
    return status;
  }
  status.exists = true;
  status.access_valid = !access_token_expires_within(*credentials, std::chrono::seconds(0), now);
  auto dies = refresh_token_expected_expiry(*credentials, lifetime);
  status.usable = now < dies;
  auto age = refresh_token_age(*credentials, now);
  if (!status.usable) {
    status.next_step = "the refresh token is past its expected life: run `keap-auth login`";
  } else if (age >= std::chrono::days(30)) {
    status.next_step = "refresh soon, before " + format_rfc3339(dies) + ": run `keap-auth refresh`";
  } else if (!status.access_valid) {
    status.next_step = "the access token has expired; `keap-auth token` (or `keap-auth refresh`) gets a new one";
  } else {
    status.next_step = "nothing now; schedule `keap-auth refresh --if-older-than 30d` daily to keep it alive";
  }
  return status;
}

void line(const std::string& text) { print_stdout(text + "\n"); }

void print_human(const Config& config, const std::optional<Credentials>& credentials, const Status& status,
                 TimePoint now) {
  if (!credentials) {
    line("no credentials at " + config.credentials_file);
    line("next: " + status.next_step);
    return;
  }
  auto dies = refresh_token_expected_expiry(*credentials, config.refresh_token_lifetime);
  line("credentials: " + config.credentials_file);
  line("Keap app:    " + credentials->app.value_or("(not named by the server)") + " (client " +
      credentials->client_id + ")");
  line(std::string("access token ") + (status.access_valid ? "expires " : "expired ") + local_time(credentials->expires_at) +
      " (" + relative(credentials->expires_at, now) + ")");
  line("refresh token obtained " + local_time(credentials->refresh_token_obtained_at) + " (" +
      format_duration(refresh_token_age(*credentials, now)) + " old), expected to " + (status.usable ? "expire " : "have expired ") +
      local_time(dies) + " (" + relative(dies, now) + ")");
  line("next: " + status.next_step);
}

void print_json(const Config& config, const std::optional<Credentials>& credentials, const Status& status,
                TimePoint now) {
  nlohmann::ordered_json out = {{"credentials_file", config.credentials_file}, {"exists", status.exists}};
  if (credentials) {
    auto dies = refresh_token_expected_expiry(*credentials, config.refresh_token_lifetime);
    out["app"] = credentials->app ? nlohmann::ordered_json(*credentials->app) : nlohmann::ordered_json(nullptr);
    out["scope"] = credentials->scope;
    out["client_id"] = credentials->client_id;
    out["access_token_valid"] = status.access_valid;
    out["access_token_expires_at"] = format_rfc3339(credentials->expires_at);
    out["access_token_expires_in_seconds"] = (credentials->expires_at - now).count();
    out["refresh_token_obtained_at"] = format_rfc3339(credentials->refresh_token_obtained_at);
    out["refresh_token_age_seconds"] = refresh_token_age(*credentials, now).count();
    out["refresh_token_expected_expiry"] = format_rfc3339(dies);
  }
  out["usable"] = status.usable;
  out["next_step"] = status.next_step;
  print_stdout(out.dump(2) + "\n");
}

} // namespace

int run_status(const GlobalOptions& global, const StatusOptions& options) {
  auto config = load_config(global.config, process_environment());
  auto stored = read_credentials(config.credentials_file);
  if (stored && stored->warning) {
    warn(*stored->warning);
  }
  std::optional<Credentials> credentials;
  if (stored) {
    credentials = stored->credentials;
  }
  auto now = now_seconds();
  auto status = assess(credentials, config.refresh_token_lifetime, now);
  if (options.json) {
    print_json(config, credentials, status, now);
  } else {
    print_human(config, credentials, status, now);
  }
  return status.usable ? 0 : static_cast<int>(ExitCode::relogin);
}

} // namespace keap::cli
