#include "core/destinations.hpp"

#include "core/error.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <filesystem>

namespace keap {

namespace {

const std::vector<std::string> k_keap_token_origins = {"https://api.infusionsoft.com", "https://api.keap.com"};

bool contains(const std::vector<std::string>& origins, const std::string& origin) {
  return std::find(origins.begin(), origins.end(), origin) != origins.end();
}

/// True when `path` lies in the folder of the config file or below it: the config's own credential.
bool beside(const std::string& config_file, const std::string& path) {
  if (path.empty() || config_file.empty()) {
    return false;
  }
  std::error_code error;
  auto folder = std::filesystem::weakly_canonical(std::filesystem::absolute(config_file, error).parent_path(), error);
  auto file = std::filesystem::weakly_canonical(std::filesystem::absolute(path, error), error);
  auto relative = file.lexically_relative(folder);
  return !error && !relative.empty() && *relative.begin() != "..";
}

std::string origin_of(const std::string& url) {
  auto parsed = util::parse_url(url);
  return parsed ? parsed->origin() : std::string();
}

} // namespace

const std::vector<std::string>& keap_origins() { return k_keap_token_origins; }

std::vector<std::string> own_origins(const Credential& credential) {
  if (const auto* grant = std::get_if<OAuthGrant>(&credential)) {
    auto origin = origin_of(grant->token_url);
    if (contains(k_keap_token_origins, origin)) {
      return k_keap_token_origins;
    }
    return {origin};
  }
  auto origins = k_keap_token_origins;
  const auto& key = std::get<ApiKey>(credential);
  if (!key.origin.empty() && !contains(origins, key.origin)) {
    origins.push_back(key.origin);
  }
  return origins;
}

bool vouched(const Config& config, const std::string& key) {
  auto origin = config.origin_of(key);
  return !config.config_in_working_folder || config.config_file.empty() || !origin.starts_with(config.config_file);
}

void check_destination(const Config& config, const std::string& key, const util::Url& url, const Credential& credential,
                       const std::string& credential_file) {
  auto own = own_origins(credential);
  if (contains(own, url.origin()) || vouched(config, key) || beside(config.config_file, credential_file)) {
    return;
  }
  std::string which = credential_file.empty() ? std::string("the credential") : "the credential in " + credential_file;
  throw Error(ExitCode::usage,
              "the config file " + config.config_file + " (in the working folder) points " + key + " at " +
                  url.origin() + ", but " + which + " was obtained for " + util::join(own) +
                  "; keap-auth sends a credential only where it belongs, and nothing was sent",
              "if that host is yours, set " + key +
                  " in a config outside this folder (~/.config/keap-auth/config.json, or --config FILE "
                  "elsewhere) or in the environment; a config in a project folder may only use credentials "
                  "kept beside it");
}

void check_secret_destination(const Config& config) {
  if (vouched(config, "token_url") || config.client_secret.empty() ||
      config.origin_of("client_secret").starts_with(config.config_file)) {
    return;
  }
  throw Error(ExitCode::usage,
              "the config file " + config.config_file + " (in the working folder) points token_url at " +
                  origin_of(config.token_url) + ", but the client secret comes from " +
                  config.origin_of("client_secret") + "; keap-auth will not send it there",
              "set token_url in a config outside this folder, or the secret in that same file");
}

std::string key_origin(const Config& config, const std::string& credential_file) {
  auto origin = origin_of(config.api_base_url);
  if (contains(k_keap_token_origins, origin)) {
    return {};
  }
  return vouched(config, "api_base_url") || beside(config.config_file, credential_file) ? origin : std::string();
}

} // namespace keap
