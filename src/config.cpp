#include "config.hpp"

#include "duration.hpp"
#include "error.hpp"
#include "url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace keap {

namespace {

using nlohmann::json;

enum class KeyType { text, path, boolean, token_auth, duration };

struct Key {
  const char* name;
  KeyType type;
  std::string Config::*field = nullptr;                   ///< for text and path keys
  std::chrono::seconds Config::*duration_field = nullptr; ///< for duration keys
};

// The config file's keys; anything else in a file is an error (a typo must never be ignored).
const Key k_keys[] = {
    {"client_id", KeyType::text, &Config::client_id},
    {"client_secret", KeyType::text, &Config::client_secret},
    {"redirect_uri", KeyType::text, &Config::redirect_uri},
    {"scope", KeyType::text, &Config::scope},
    {"authorize_url", KeyType::text, &Config::authorize_url},
    {"token_url", KeyType::text, &Config::token_url},
    {"userinfo_url", KeyType::text, &Config::userinfo_url},
    {"credentials_file", KeyType::path, &Config::credentials_file},
    {"token_auth", KeyType::token_auth, nullptr},
    {"pkce", KeyType::boolean, nullptr},
    {"ca_file", KeyType::path, &Config::ca_file},
    {"refresh_token_lifetime", KeyType::duration, nullptr, &Config::refresh_token_lifetime},
    {"connect_timeout", KeyType::duration, nullptr, &Config::connect_timeout},
    {"read_timeout", KeyType::duration, nullptr, &Config::read_timeout},
    {"tls_cert", KeyType::path, &Config::tls_cert},
    {"tls_key", KeyType::path, &Config::tls_key},
    {"pending_lifetime", KeyType::duration, nullptr, &Config::pending_lifetime},
};

size_t edit_distance(std::string_view left, std::string_view right) {
  std::vector<size_t> row(right.size() + 1);
  for (size_t j = 0; j <= right.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= left.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= right.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (left[i - 1] == right[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[right.size()];
}

std::string suggestion_for(const std::string& unknown) {
  const Key* best = nullptr;
  size_t best_distance = 4;
  for (const auto& key : k_keys) {
    size_t distance = edit_distance(unknown, key.name);
    if (distance < best_distance) {
      best = &key;
      best_distance = distance;
    }
  }
  return best ? std::string("did you mean \"") + best->name + "\"?" : "see keap-auth.example.json for the keys";
}

Error config_error(const std::string& origin, const std::string& message, std::string hint = {}) {
  return Error(ExitCode::usage, origin + ": " + message, std::move(hint));
}

std::string type_name(const json& value) { return value.type_name(); }

std::optional<TokenAuth> parse_token_auth(const std::string& name) {
  if (name == "keap") {
    return TokenAuth::keap;
  }
  if (name == "client_secret_post") {
    return TokenAuth::client_secret_post;
  }
  if (name == "client_secret_basic") {
    return TokenAuth::client_secret_basic;
  }
  return std::nullopt;
}

void apply_key(Config& config, const Key& key, const json& value, const std::string& origin,
               const std::filesystem::path& base) {
  auto wrong_type = [&](const char* expected) {
    return config_error(origin, std::string("key \"") + key.name + "\" must be " + expected + ", not " +
                                    type_name(value));
  };
  switch (key.type) {
  case KeyType::boolean:
    if (!value.is_boolean()) {
      throw wrong_type("true or false");
    }
    config.pkce = value.get<bool>();
    return;
  case KeyType::duration: {
    auto duration = value.is_string() ? parse_duration(value.get<std::string>()) : std::nullopt;
    if (!duration || duration->count() == 0) {
      throw config_error(origin, std::string("key \"") + key.name + "\" must be a positive duration: " +
                                     std::string(k_duration_forms) + ", not " + value.dump());
    }
    config.*key.duration_field = *duration;
    return;
  }
  case KeyType::token_auth: {
    if (!value.is_string()) {
      throw wrong_type("a string");
    }
    auto auth = parse_token_auth(value.get<std::string>());
    if (!auth) {
      throw config_error(origin, "key \"token_auth\" must be \"keap\", \"client_secret_post\" or "
                                 "\"client_secret_basic\", not \"" + value.get<std::string>() + "\"");
    }
    config.token_auth = *auth;
    return;
  }
  case KeyType::text:
  case KeyType::path:
    if (!value.is_string()) {
      throw wrong_type("a string");
    }
    auto text = value.get<std::string>();
    if (key.type == KeyType::path && !text.empty() && std::filesystem::path(text).is_relative()) {
      text = (base / text).lexically_normal().string();
    }
    config.*key.field = std::move(text);
    return;
  }
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

std::string line_and_column(const std::string& text, size_t byte) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string read_secret_file(const std::string& path) {
  auto text = read_text(path);
  if (!text) {
    throw Error(ExitCode::usage, "--client-secret-file: cannot read " + path,
                "give a file that holds only the client secret");
  }
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) {
    text->pop_back();
  }
  if (text->empty()) {
    throw Error(ExitCode::usage, "--client-secret-file: " + path + " is empty");
  }
  return *text;
}

void check_url(const std::string& origin, const char* key, const std::string& value, bool endpoint) {
  auto url = parse_url(value);
  if (!url) {
    throw config_error(origin, std::string(key) + " \"" + value +
                                   "\" is not an absolute http(s) URL without user info or fragment",
                       std::string("write it as https://host/path") + (endpoint ? "" : " or http://localhost:PORT/path"));
  }
  if (endpoint && url->scheme != "https" && !is_loopback_host(url->host)) {
    throw config_error(origin, std::string(key) + " \"" + value + "\" must use https",
                       "plain http is allowed only to a loopback host such as the emulator; "
                       "the client secret must never cross a network in clear text");
  }
}

} // namespace

EnvironmentLookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value && *value ? std::optional<std::string>(value) : std::nullopt;
  };
}

std::string token_auth_name(TokenAuth auth) {
  switch (auth) {
  case TokenAuth::client_secret_post:
    return "client_secret_post";
  case TokenAuth::client_secret_basic:
    return "client_secret_basic";
  case TokenAuth::keap:
    break;
  }
  return "keap";
}

void apply_config_text(Config& config, const std::string& text, const std::string& origin) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    throw config_error(origin, "not valid JSON at " + line_and_column(text, error.byte),
                       "the file must be one JSON object, as in keap-auth.example.json");
  } catch (const json::exception&) {
    // The parser's only other failure: a number too large for any JSON number type (found by fuzzing).
    throw config_error(origin, "not valid JSON: a number is out of range",
                       "the file must be one JSON object, as in keap-auth.example.json");
  }
  if (!document.is_object()) {
    throw config_error(origin, "must hold a JSON object, not " + type_name(document));
  }
  auto base = std::filesystem::path(origin).parent_path();
  for (const auto& item : document.items()) {
    const auto& name = item.key();
    const auto& value = item.value();
    auto key = std::find_if(std::begin(k_keys), std::end(k_keys), [&](const Key& k) { return name == k.name; });
    if (key == std::end(k_keys)) {
      throw config_error(origin, "unknown key \"" + name + "\"", suggestion_for(name));
    }
    apply_key(config, *key, value, origin, base);
  }
}

void validate_config(const Config& config) {
  std::string origin = config.config_file.empty() ? "configuration" : config.config_file;
  check_url(origin, "redirect_uri", config.redirect_uri, false);
  check_url(origin, "authorize_url", config.authorize_url, true);
  check_url(origin, "token_url", config.token_url, true);
  check_url(origin, "userinfo_url", config.userinfo_url, true);
  if (config.scope.empty()) {
    throw config_error(origin, "scope must not be empty", "Keap's only scope is \"full\"");
  }
  if (config.credentials_file.empty()) {
    throw config_error(origin, "credentials_file must not be empty");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    throw config_error(origin, "tls_cert and tls_key go together: set both or neither",
                       "without them keap-auth makes and reuses a self-signed certificate for localhost");
  }
}

Config load_config(const ConfigFlags& flags, const EnvironmentLookup& environment) {
  // Priority 4 (lowest): the defaults in the Config struct itself.
  Config config;

  // Priority 3: the config file. Naming one that does not exist is an error; the default file is optional.
  auto named = flags.config_file ? flags.config_file : environment("KEAP_AUTH_CONFIG");
  std::string path = named.value_or(k_default_config_file);
  if (auto text = read_text(path)) {
    config.config_file = path;
    apply_config_text(config, *text, path);
  } else if (named) {
    throw Error(ExitCode::usage, "config file " + path + " cannot be read (" +
                                     (std::filesystem::exists(path) ? "permission denied" : "no such file") + ")",
                "check --config or KEAP_AUTH_CONFIG");
  }

  // Priority 2: the environment.
  if (auto value = environment("KEAP_CLIENT_ID")) {
    config.client_id = *value;
  }
  if (auto value = environment("KEAP_CLIENT_SECRET")) {
    config.client_secret = *value;
  }
  if (auto value = environment("KEAP_CREDENTIALS")) {
    config.credentials_file = *value;
  }

  // Priority 1 (highest): command-line flags. The secret comes from a file, never from argv.
  if (flags.client_id) {
    config.client_id = *flags.client_id;
  }
  if (flags.client_secret_file) {
    config.client_secret = read_secret_file(*flags.client_secret_file);
  }
  if (flags.credentials_file) {
    config.credentials_file = *flags.credentials_file;
  }
  if (flags.tls_cert) {
    config.tls_cert = *flags.tls_cert;
  }
  if (flags.tls_key) {
    config.tls_key = *flags.tls_key;
  }

  validate_config(config);
  return config;
}

void require_client_credentials(const Config& config) {
  std::string where = config.config_file.empty() ? "no config file was read" : "read " + config.config_file;
  if (config.client_id.empty()) {
    throw Error(ExitCode::usage, "client_id is not set (" + where + ")",
                "set \"client_id\" in keap-auth.json (or --config FILE), KEAP_CLIENT_ID, or --client-id");
  }
  if (config.client_secret.empty()) {
    throw Error(ExitCode::usage, "client_secret is not set (" + where + ")",
                "set \"client_secret\" in the config file, KEAP_CLIENT_SECRET, or --client-secret-file FILE");
  }
}

} // namespace keap
