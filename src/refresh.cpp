#include "refresh.hpp"

#include "atomic_file.hpp"
#include "credential_store.hpp"
#include "error.hpp"
#include "file_lock.hpp"
#include "token_client.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <unistd.h>

namespace keap {

namespace {

Credentials read_or_relogin(const std::string& path) {
  auto credentials = load_credentials(path);
  if (!credentials) {
    throw Error(ExitCode::relogin, "no credentials at " + path, "run `keap-auth login` first");
  }
  return *credentials;
}

TokenEndpoint endpoint_for(const Credentials& credentials, const RefreshSettings& settings) {
  auto url = parse_url(credentials.token_url);
  if (!url || (url->scheme != "https" && !is_loopback_host(url->host))) {
    throw Error(ExitCode::failure,
                "credentials file " + settings.credentials_file + ": token_url \"" + credentials.token_url +
                    "\" is not an https URL (or http to a loopback host)",
                "fix the file, or run `keap-auth login` again");
  }
  return {*url, settings.token_auth, credentials.client_id, credentials.client_secret, settings.http};
}

/// Places for a rescue file, most convenient first: beside the credentials, the user's state folder, /tmp.
std::vector<std::string> rescue_folders(const std::string& credentials_file) {
  std::vector<std::string> folders;
  auto parent = std::filesystem::path(credentials_file).parent_path();
  folders.push_back(parent.empty() ? "." : parent.string());
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    folders.push_back(std::string(state) + "/keap-auth");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    folders.push_back(std::string(home) + "/.local/state/keap-auth");
  }
  const char* temp = std::getenv("TMPDIR");
  folders.push_back(temp && *temp ? temp : "/tmp");
  return folders;
}

std::optional<std::string> write_rescue_file(const std::string& credentials_file, const std::string& content,
                                             TimePoint now) {
  auto name = std::filesystem::path(credentials_file).filename().string() + ".rescue-" + format_rfc3339(now) + "-" +
              std::to_string(::getpid());
  for (const auto& folder : rescue_folders(credentials_file)) {
    try {
      create_private_folders(folder);
    } catch (const Error&) {
      continue;
    }
    auto path = folder + "/" + name;
    if (write_new_private_file(path, content)) {
      return std::filesystem::absolute(path).string();
    }
  }
  return std::nullopt;
}

[[noreturn]] void rescue(const RefreshSettings& settings, const Credentials& fresh, const Error& failure) {
  auto content = serialize_credentials(fresh);
  std::string what = std::string(failure.what()) + ". Keap has already rotated the refresh token, so the old one in " +
                     settings.credentials_file + " is dead";
  if (auto path = write_rescue_file(settings.credentials_file, content, fresh.obtained_at)) {
    throw Error(ExitCode::failure, what + "; the NEW credentials were saved to " + *path,
                "fix the problem, then move that file into place: mv '" + *path + "' '" + settings.credentials_file +
                    "'");
  }
  std::string lost = what + "; the NEW credentials could not be saved anywhere (no writable folder)";
  if (::isatty(STDERR_FILENO) == 1) {
    // A person is watching: the token is better on their screen than gone.
    throw Error(ExitCode::failure, lost + ". Save this text as " + settings.credentials_file + " yourself:\n" + content,
                "copy it now; nothing else holds it");
  }
  throw Error(ExitCode::relogin, lost + ", so it is lost",
              "free some space or fix the permissions, then run `keap-auth login` again");
}

/// A 200 answer that is unusable (say, an absurd expires_in) may still carry a refresh token the
/// server has just issued, while the one we sent is already dead. Keep that answer (0600) rather than
/// drop it; the credentials file itself stays untouched, as for every failure.
std::optional<std::string> keep_unusable_answer(const RefreshSettings& settings, const Credentials& current,
                                                const HttpResponse& response) {
  auto document = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200 || !document.is_object()) {
    return std::nullopt;
  }
  auto token = document.find("refresh_token");
  if (token == document.end() || !token->is_string() || token->get<std::string>().empty() ||
      token->get<std::string>() == current.refresh_token) {
    return std::nullopt;
  }
  return write_rescue_file(settings.credentials_file, response.body + "\n", now_seconds());
}

TokenResponse refresh_or_keep(const RefreshSettings& settings, const Credentials& current) {
  auto endpoint = endpoint_for(current, settings);
  auto response = send_refresh_request(endpoint, current.refresh_token);
  try {
    return interpret_token_response(response, endpoint.url.to_string(), Grant::refresh_token);
  } catch (const Error& error) {
    if (auto kept = keep_unusable_answer(settings, current, response)) {
      throw Error(error.code(),
                  std::string(error.what()) + "; the answer carried a new refresh token, kept as it came in " + *kept,
                  "the credentials file was not changed; if the next refresh fails with exit 4, the token in that "
                  "file may still work: put it into the credentials file by hand");
    }
    throw;
  }
}

} // namespace

Credentials rotated_credentials(const Credentials& old, const TokenResponse& response, TimePoint received_at) {
  Credentials fresh = old;
  fresh.access_token = response.access_token;
  fresh.refresh_token = response.refresh_token;
  if (!response.token_type.empty()) {
    fresh.token_type = response.token_type;
  }
  if (!response.scope.empty()) {
    fresh.scope = response.scope;
    if (auto app = app_from_scope(response.scope)) {
      fresh.app = app;
    }
  }
  fresh.obtained_at = received_at;
  fresh.expires_at = received_at + std::chrono::seconds{response.expires_in};
  fresh.refresh_token_obtained_at = received_at;
  return fresh;
}

RefreshResult refresh_credentials(const RefreshSettings& settings, const RefreshDecision& decide) {
  read_or_relogin(settings.credentials_file); // "run login" before waiting for any lock
  FileLock lock(lock_path_for(settings.credentials_file), settings.lock_timeout);
  // Another process may have refreshed while we waited: decide on what the file holds now.
  auto current = read_or_relogin(settings.credentials_file);
  auto reason = decide(current, now_seconds());
  if (reason == RefreshReason::none) {
    return {current, reason};
  }
  auto response = refresh_or_keep(settings, current);
  auto fresh = rotated_credentials(current, response, now_seconds());
  try {
    save_credentials(settings.credentials_file, fresh);
  } catch (const Error& failure) {
    rescue(settings, fresh, failure);
  }
  return {fresh, reason};
}

} // namespace keap
