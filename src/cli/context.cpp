#include "cli/context.hpp"

#include "core/destinations.hpp"
#include "pgstore/pg_store.hpp"
#include "store/file_store.hpp"
#include "store/rescue.hpp"
#include "term/output.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <filesystem>

namespace keap::cli {

net::HttpOptions http_options(const Config& config, bool verbose) {
  net::HttpOptions http;
  if (verbose) {
    http.log = [](const std::string& line) { term::say(line); };
  }
  http.ca_file = config.ca_file;
  http.connect_timeout = config.connect_timeout;
  http.read_timeout = config.read_timeout;
  return http;
}

net::RetryPolicy retry_policy(const Config& config) {
  net::RetryPolicy policy;
  policy.deadline = config.refresh_deadline;
  return policy;
}

oauth::RefreshSettings refresh_settings(const Config& config, const util::EnvironmentLookup& environment) {
  oauth::RefreshSettings settings;
  settings.lock_timeout = config.lock_timeout;
  settings.retry = retry_policy(config);
  settings.environment = environment;
  settings.secret_if_missing = config.client_secret;
  return settings;
}

Context open_context(const GlobalOptions& global) {
  Context context;
  context.environment = util::process_environment();
  context.source = std::make_shared<ConfigSource>(global.config, context.environment);
  context.config = context.source->for_profile(context.source->selected_profile());
  context.verbose = global.verbose;
  context.quiet = global.quiet;
  context.warn_all(context.config.warnings);
  if (context.config.store == "postgres") {
    auto settings = pgstore::settings_of(context.config, context.environment);
    settings.notice = [](const std::string& line) { term::warn(line); };
    context.store = std::make_unique<pgstore::PgStore>(std::move(settings));
  } else {
    context.store =
        std::make_unique<store::FileStore>(store::layout_of(context.config, context.source->configured_profiles()));
  }
  context.profile = context.config.profile;
  context.http = std::make_unique<net::HttpClient>(http_options(context.config, global.verbose));
  return context;
}

void Context::say(const std::string& message) const {
  if (!quiet) {
    term::say(message);
  }
}

void Context::note(const std::string& message) const {
  if (verbose && !quiet) {
    term::say(message);
  }
}

void Context::warn(const std::string& message) const {
  if (!quiet) {
    term::warn(message);
  }
}

void Context::warn_all(const std::vector<std::string>& warnings) const {
  for (const auto& warning : warnings) {
    warn(warning);
  }
}

bool Context::key_from_environment() const { return environment("KEAP_API_KEY").has_value(); }

Credential Context::credential() const {
  if (auto key = environment("KEAP_API_KEY")) {
    if (util::invalid_utf8_offset(*key) || key->find_first_of(" \t\r\n") != std::string::npos) {
      throw Error(ExitCode::usage, "KEAP_API_KEY is not a key (it holds blanks or bytes that are not UTF-8)",
                  "set it to the key alone");
    }
    return ApiKey{*key, KeyKind::unknown, util::now_seconds(), ""};
  }
  auto loaded = store->read_credential(profile);
  if (!loaded) {
    throw Error(ExitCode::relogin, "no credentials in " + store->describe(profile),
                "run `keap-auth login` first (or `keap-auth login --api-key-file FILE` to store a key)");
  }
  warn_all(loaded->warnings);
  return loaded->credential;
}

std::optional<ApiKey> Context::key() const {
  if (!key_from_environment()) {
    auto loaded = store->read_for_status(profile);
    if (!loaded || !std::holds_alternative<ApiKey>(loaded->credential)) {
      return std::nullopt;
    }
  }
  return std::get<ApiKey>(credential());
}

std::string Context::credentials_path() const { return store->location(profile); }

void Context::check_destination(const std::string& key, const util::Url& url, const Credential& credential) const {
  auto location = key_from_environment() || config.store != "file" ? std::string() : credentials_path();
  keap::check_destination(config, key, url, credential, location);
}

std::optional<std::string> Context::unknown_profile_hint() const {
  auto known = store->profiles();
  auto configured = source->configured_profiles();
  known.insert(known.end(), configured.begin(), configured.end());
  known.emplace_back(k_default_profile);
  if (std::find(known.begin(), known.end(), profile) != known.end()) {
    return std::nullopt;
  }
  auto near = util::nearest(profile, known);
  return near ? std::optional<std::string>("there is no profile \"" + profile + "\": did you mean `--profile " + *near +
                                           "`?")
              : std::nullopt;
}

std::vector<store::PendingRescue> Context::pending_rescues() const {
  return store::pending_rescues(*store, profile, environment);
}

std::vector<std::string> Context::rescue_advice() const {
  std::vector<std::string> advice;
  for (const auto& rescued : pending_rescues()) {
    advice.push_back("a rescue file holds a newer credential than the store: " + rescued.path +
                     "; put it in place with `" + rescued.restore + "`");
  }
  return advice;
}

void explain_client_differences(const Context& context, const OAuthGrant& grant, bool use_config_client) {
  const auto& config = context.config;
  auto configured = [&](const char* key) { return config.origins.count(key) > 0; };
  std::vector<std::string> differences;
  if (configured("client_id") && config.client_id != grant.client_id) {
    differences.push_back("client_id (" + config.client_id + " in " + config.origin_of("client_id") + ", " +
                          grant.client_id + " stored)");
  }
  if (configured("client_secret") && !grant.client_secret.empty() && config.client_secret != grant.client_secret) {
    differences.push_back("client_secret (" + config.origin_of("client_secret") + " and the stored one differ)");
  }
  if (configured("token_url") && config.token_url != grant.token_url) {
    differences.push_back("token_url (" + config.token_url + " in " + config.origin_of("token_url") + ", " +
                          grant.token_url + " stored)");
  }
  if (differences.empty()) {
    return;
  }
  std::string list;
  for (const auto& difference : differences) {
    list += (list.empty() ? "" : ", ") + difference;
  }
  if (use_config_client) {
    context.warn("the config and the credentials disagree on " + list +
                 "; refreshing as the config's client (--use-config-client), which is stored with the new pair");
  } else {
    context.warn("the config and the credentials disagree on " + list +
                 "; refreshing as the client stored with the credentials, since the refresh token belongs to it "
                 "(after rotating the client secret, run `keap-auth refresh --use-config-client` once)");
  }
}

oauth::TokenEndpoint config_client(const Config& config) {
  require_client_credentials(config);
  check_secret_destination(config);
  return {*util::parse_url(config.token_url), config.token_auth, config.client_id, config.client_secret};
}

} // namespace keap::cli
