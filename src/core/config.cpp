#include "core/config.hpp"

#include "core/config_keys.hpp"
#include "core/error.hpp"
#include "util/duration.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

namespace keap {

namespace {

using nlohmann::json;
using Seconds = std::chrono::seconds;

using Seconds = std::chrono::seconds;

/// Keys of the file's top level that are not values of a profile.
constexpr const char* k_profile_key = "profile";
constexpr const char* k_profiles_key = "profiles";
constexpr const char* k_agent_key = "agent";
/// Keys a profile's section may not set: they describe the file, the store or the agent, not one profile.
bool top_level_only(const std::string& name) {
  return name == k_profile_key || name == k_profiles_key || name == "credentials_dir" || name == k_agent_key;
}

Error config_error(const std::string& origin, const std::string& message, std::string hint = {}) {
  return Error(ExitCode::usage, origin + ": " + message, std::move(hint));
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

/// A local file named by a flag or setting, with what it means when it cannot be read.
std::optional<std::string> read_local_file(const std::string& origin, const std::string& path, size_t limit) {
  checked_text(origin, path);
  try {
    return util::read_regular_file(path, limit);
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, origin + ": cannot read " + path + ": " + error.reason(),
                "check the path and its permissions");
  }
}

std::string read_secret_file(const std::string& path, std::vector<std::string>& warnings, const std::string& origin) {
  constexpr size_t k_secret_limit = 64 * 1024;
  auto text = read_local_file(origin, path, k_secret_limit);
  if (auto warning = loose_permissions_warning(path, "the client secret")) {
    warnings.push_back(*warning);
  }
  if (!text) {
    throw Error(ExitCode::usage, origin + ": " + path + " does not exist",
                "give a file that holds only the client secret");
  }
  if (text->ends_with("\r\n")) {
    text->resize(text->size() - 2);
  } else if (text->ends_with("\n")) {
    text->pop_back();
  }
  if (text->empty()) {
    throw Error(ExitCode::usage, origin + ": " + path + " is empty");
  }
  if (text->find_first_of("\r\n") != std::string::npos) {
    throw Error(ExitCode::usage, origin + ": " + path + " holds more than one line",
                "the file must hold only the client secret, on one line");
  }
  return checked_text(origin + " " + path, *text);
}

void check_url(const std::string& origin, const char* key, const std::string& value, bool endpoint) {
  auto url = util::parse_url(value);
  if (!url) {
    throw config_error(
        origin, std::string(key) + " \"" + value + "\" is not an absolute http(s) URL without user info or fragment",
        std::string("write it as https://host/path") + (endpoint ? "" : " or http://localhost:PORT/path"));
  }
  if (endpoint && !util::keeps_secrets_private(*url)) {
    throw config_error(origin, std::string(key) + " \"" + value + "\" must use https",
                       "plain http is allowed only to a loopback host such as the emulator; "
                       "the client secret must never cross a network in clear text");
  }
}

constexpr const char* k_default_credentials_name = "keap-credentials.json";

/// git's safe.directory idea for the one file that says where credentials go: a config that another
/// user owns, or that others may change, could send this user's credentials anywhere.
void refuse_unsafe_config(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return; // read a moment ago; a vanished file is refused by the next read
  }
  if (info.st_uid != ::geteuid() && info.st_uid != 0) {
    throw Error(ExitCode::usage,
                "config file " + path + " belongs to another user (uid " + std::to_string(info.st_uid) +
                    "), who could point your credentials anywhere; it was not read",
                "use a config file you own (or root's, in /etc/keap-auth)");
  }
  if ((info.st_mode & 022) != 0) {
    throw Error(ExitCode::usage, "config file " + path + " may be changed by other users; it was not read",
                "run `chmod go-w " + path + "` (and chmod 600 when it holds the client secret)");
  }
}

/// True when `path` is in the working folder or below it, where a cloned repository puts files (the
/// standard places, ~/.config/keap-auth and /etc/keap-auth, never are).
bool in_working_folder(const std::string& path, const EnvironmentLookup& environment) {
  std::error_code error;
  auto file = std::filesystem::weakly_canonical(std::filesystem::absolute(path, error), error);
  auto here = std::filesystem::weakly_canonical(std::filesystem::current_path(error), error);
  if (error) {
    return true; // where it is cannot be told: trust it no more than a local file
  }
  for (const auto& standard : config_search_path(environment)) {
    if (standard != k_default_config_file && std::filesystem::weakly_canonical(standard, error) == file) {
      return false;
    }
  }
  auto relative = file.lexically_relative(here);
  return !relative.empty() && *relative.begin() != "..";
}

Error no_home(const char* what) {
  return Error(ExitCode::usage,
               std::string("there is no home folder for ") + what +
                   " (HOME is unset and the user has no passwd entry) and no config file names one",
               "set credentials_file (or credentials_dir) in a config file, KEAP_CREDENTIALS, or --credentials");
}

} // namespace

const FlagValue* ConfigFlags::find(const std::string& key) const {
  auto found = std::find_if(values.rbegin(), values.rend(), [&](const FlagValue& value) { return value.key == key; });
  return found == values.rend() ? nullptr : &*found;
}

void ConfigFlags::set(const std::string& key, const std::string& flag, const std::string& text) {
  std::erase_if(values, [&](const FlagValue& value) { return value.key == key; });
  values.push_back({key, flag, text});
}

std::string Config::origin_of(const std::string& key) const {
  auto found = origins.find(key);
  return found == origins.end() ? "default" : found->second;
}

std::optional<std::string> loose_permissions_warning(const std::string& path, const std::string& what) {
  auto mode = util::file_mode(path);
  if (!mode || (*mode & 077) == 0) {
    return std::nullopt;
  }
  char text[16];
  std::snprintf(text, sizeof text, "%04o", *mode);
  return "permissions " + std::string(text) + " for " + path + " are too open: other users may read " + what +
         "; run `chmod 600 " + path + "`";
}

std::vector<std::string> config_search_path(const util::EnvironmentLookup& environment) {
  std::vector<std::string> paths{k_default_config_file};
  if (auto home = util::config_home(environment)) {
    paths.push_back(*home + "/keap-auth/config.json");
  }
  paths.emplace_back("/etc/keap-auth/config.json");
  return paths;
}

namespace {

json parse_config_document(const std::string& text, const std::string& origin) {
  json document;
  if (util::json_too_deep(text)) {
    throw config_error(origin, "nests deeper than " + std::to_string(util::k_json_depth_limit) + " levels",
                       "the file must be one JSON object, as in keap-auth.example.json");
  }
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
    throw config_error(origin, std::string("must hold a JSON object, not ") + document.type_name());
  }
  return document;
}

/// One object's keys onto `config`: the file's top level (`profile_section` false) or one profile's.
void apply_object(Config& config, const json& object, const std::string& origin, const std::filesystem::path& base,
                  bool profile_section) {
  for (const auto& item : object.items()) {
    const auto& name = item.key();
    if (top_level_only(name) && profile_section) {
      throw config_error(origin, "\"" + name + "\" belongs at the top of the file, not inside a profile");
    }
    if (name == k_profile_key || name == k_profiles_key) {
      continue; // read by ConfigSource and check_profiles
    }
    if (name == k_agent_key) {
      if (!item.value().is_object()) {
        throw config_error(origin, std::string("key \"agent\" must be an object, not ") + item.value().type_name(),
                           R"(for example "agent": {"listen": ["unix:/run/keap-auth/agent.sock"]})");
      }
      config.agent = item.value(); // its keys are the agent's to check (agent/settings.cpp)
      config.origins[name] = origin;
      continue;
    }
    apply_json_value(config, name, item.value(), origin, base);
  }
}

std::string profile_origin(const std::string& file, const std::string& profile) {
  return file + " (profile \"" + profile + "\")";
}

/// "profile" and "profiles": valid names, and every profile's section as strictly checked as the top.
void check_profiles(const json& document, const std::string& origin, const std::filesystem::path& base) {
  if (auto selected = document.find(k_profile_key); selected != document.end()) {
    if (!selected->is_string()) {
      throw config_error(origin, "key \"profile\" must be a string, not " + std::string(selected->type_name()));
    }
    check_profile_name(selected->get<std::string>(), origin + ": key \"profile\"");
  }
  auto profiles = document.find(k_profiles_key);
  if (profiles == document.end()) {
    return;
  }
  if (!profiles->is_object()) {
    throw config_error(origin,
                       "key \"profiles\" must be an object of profile names, not " + std::string(profiles->type_name()),
                       R"(for example "profiles": {"acme": {"client_id": "..."}})");
  }
  for (const auto& [name, section] : profiles->items()) {
    check_profile_name(name, origin + ": profiles");
    if (!section.is_object()) {
      throw config_error(profile_origin(origin, name), std::string("must be an object, not ") + section.type_name());
    }
    Config scratch;
    apply_object(scratch, section, profile_origin(origin, name), base, true);
  }
}

} // namespace

void apply_config_text(Config& config, const std::string& text, const std::string& origin) {
  auto document = parse_config_document(text, origin);
  auto base = std::filesystem::path(origin).parent_path();
  check_profiles(document, origin, base);
  apply_object(config, document, origin, base, false);
  if (!config.origins.count("lock_timeout")) {
    config.lock_timeout = config.refresh_deadline + defaults::lock_margin;
  }
}

void validate_config(const Config& config) {
  std::string origin = config.config_file.empty() ? "configuration" : config.config_file;
  check_url(origin, "redirect_uri", config.redirect_uri, false);
  check_url(origin, "authorize_url", config.authorize_url, true);
  check_url(origin, "token_url", config.token_url, true);
  check_url(origin, "userinfo_url", config.userinfo_url, true);
  check_url(origin, "api_base_url", config.api_base_url, true);
  if (config.scope.empty()) {
    throw config_error(origin, "scope must not be empty", "Keap's only scope is \"full\"");
  }
  if (config.credentials_file.empty() && config.origins.count("credentials_file")) {
    throw config_error(origin, "credentials_file must not be empty");
  }
  if (config.store != "file" && config.store != "postgres") {
    throw config_error(origin, "store must be \"file\" or \"postgres\", not \"" + config.store + "\"");
  }
  if (config.store == "postgres" && config.store_url.empty()) {
    throw config_error(origin, "store is \"postgres\" but store_url is not set",
                       "set store_url to postgresql://USER@HOST/DATABASE?sslmode=verify-full (or KEAP_STORE_URL)");
  }
  if (config.store_require_tls != "require" && config.store_require_tls != "verify-ca" &&
      config.store_require_tls != "verify-full") {
    throw config_error(origin, "store_require_tls must be \"require\", \"verify-ca\" or \"verify-full\"");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    throw config_error(origin, "tls_cert and tls_key go together: set both or neither",
                       "without them keap-auth makes and reuses a self-signed certificate for localhost");
  }
}

ConfigSource::ConfigSource(ConfigFlags flags, EnvironmentLookup environment)
    : m_flags(std::move(flags)), m_environment(std::move(environment)), m_document(json::object()) {
  // The config file: one that is named must exist; the default one is optional, but when it exists it
  // must be readable (a config silently skipped is a config silently ignored).
  auto named = m_flags.config_file ? m_flags.config_file : m_environment("KEAP_AUTH_CONFIG");
  std::string origin_of_name = m_flags.config_file ? "--config" : "KEAP_AUTH_CONFIG";
  std::optional<std::string> text;
  std::string path;
  if (named) {
    path = *named;
    text = read_local_file(origin_of_name, path, util::k_local_file_limit);
    if (!text) {
      throw Error(ExitCode::usage, "config file " + path + " does not exist", "check " + origin_of_name);
    }
  } else {
    for (const auto& candidate : config_search_path(m_environment)) {
      text = read_local_file("config file", candidate, util::k_local_file_limit);
      if (text) {
        path = candidate;
        break;
      }
    }
  }
  // Credentials go beside a config that was named or found in the working folder; beside one found
  // in ~/.config or /etc they would land where a service user cannot (or should not) write.
  m_file_is_local = named.has_value() || path == k_default_config_file;
  if (text) {
    refuse_unsafe_config(path);
    m_file = path;
    m_in_working_folder = in_working_folder(path, m_environment);
    m_document = parse_config_document(*text, path);
    check_profiles(m_document, path, std::filesystem::path(path).parent_path());
  }
  if (m_flags.profile) {
    m_selected = checked_text("--profile", *m_flags.profile);
    check_profile_name(m_selected, "--profile");
  } else if (auto variable = m_environment("KEAP_PROFILE")) {
    m_selected = checked_text("KEAP_PROFILE", *variable);
    check_profile_name(m_selected, "KEAP_PROFILE");
  } else if (auto in_file = m_document.find(k_profile_key); in_file != m_document.end()) {
    m_selected = in_file->get<std::string>();
  } else {
    m_selected = k_default_profile;
  }
}

std::vector<std::string> ConfigSource::configured_profiles() const {
  std::vector<std::string> names;
  if (auto profiles = m_document.find(k_profiles_key); profiles != m_document.end()) {
    for (const auto& [name, section] : profiles->items()) {
      names.push_back(name);
    }
  }
  return names;
}

std::optional<std::string> ConfigSource::credentials_file_of(const std::string& profile) const {
  auto base = std::filesystem::path(m_file).parent_path();
  auto in_file = [&](const json& object) -> std::optional<std::string> {
    auto found = object.find("credentials_file");
    if (found == object.end()) {
      return std::nullopt;
    }
    Config scratch;
    apply_json_value(scratch, "credentials_file", *found, m_file, base);
    return scratch.credentials_file;
  };
  if (profile == m_selected) {
    if (const auto* flag = m_flags.find("credentials_file")) {
      return checked_text(flag->flag, flag->text);
    }
    if (auto variable = m_environment("KEAP_CREDENTIALS")) {
      return checked_text("KEAP_CREDENTIALS", *variable);
    }
  }
  if (auto profiles = m_document.find(k_profiles_key); profiles != m_document.end() && profiles->contains(profile)) {
    if (auto file = in_file((*profiles)[profile])) {
      return file;
    }
  }
  if (profile == k_default_profile) {
    return in_file(m_document);
  }
  return std::nullopt;
}

Config ConfigSource::for_profile(const std::string& profile) const {
  check_profile_name(profile, "profile");
  Config config; // the defaults are the struct's own
  config.profile = profile;
  apply_file(config);
  apply_environment(config);
  apply_delivered_secret(config);
  apply_flags(config);
  complete(config);
  validate_config(config);
  return config;
}

void ConfigSource::apply_file(Config& config) const {
  if (m_file.empty()) {
    return;
  }
  config.config_file = m_file;
  config.config_in_working_folder = m_in_working_folder;
  auto base = std::filesystem::path(m_file).parent_path();
  apply_object(config, m_document, m_file, base, false);
  if (config.profile != k_default_profile) {
    config.credentials_file.clear(); // the top level's file is the default profile's
    config.origins.erase("credentials_file");
  }
  auto profiles = m_document.find(k_profiles_key);
  if (profiles != m_document.end() && profiles->contains(config.profile)) {
    apply_object(config, (*profiles)[config.profile], profile_origin(m_file, config.profile), base, true);
  }
  if (!config.client_secret.empty()) {
    if (auto warning = loose_permissions_warning(m_file, "the client secret")) {
      config.warnings.push_back(*warning);
    }
  }
}

void ConfigSource::apply_environment(Config& config) const {
  for (const auto& [key, variable] : environment_variables()) {
    if (key == "credentials_file" && config.profile != m_selected) {
      continue; // KEAP_CREDENTIALS is the selected profile's: no two profiles share a file
    }
    if (auto value = m_environment(variable.c_str())) {
      apply_text_value(config, key, *value, variable);
      config.origins[key] = variable;
    }
  }
}

void ConfigSource::apply_delivered_secret(Config& config) const {
  if (config.origin_of("client_secret") == "KEAP_CLIENT_SECRET") {
    return;
  }
  if (auto delivered = m_environment("CREDENTIALS_DIRECTORY")) {
    auto path = *delivered + "/keap-client-secret";
    if (::access(path.c_str(), F_OK) == 0) {
      config.client_secret = read_secret_file(path, config.warnings, "$CREDENTIALS_DIRECTORY");
      config.origins["client_secret"] = path;
    }
  }
}

void ConfigSource::apply_flags(Config& config) const {
  for (const auto& value : m_flags.values) {
    if (value.key == "credentials_file" && config.profile != m_selected) {
      continue; // --credentials is the selected profile's
    }
    if (value.key == "client_secret") {
      // The secret comes from a file, never from argv.
      config.client_secret = read_secret_file(value.text, config.warnings, value.flag);
    } else {
      apply_text_value(config, value.key, value.text, value.flag);
    }
    config.origins[value.key] = value.flag;
  }
}

void ConfigSource::complete(Config& config) const {
  if (!config.origins.count("lock_timeout")) {
    config.lock_timeout = config.refresh_deadline + defaults::lock_margin;
  }
  complete_locations(config);
}

std::optional<std::string> ConfigSource::default_file_of(const std::string& profile, const Config& config) const {
  if (profile != k_default_profile) {
    return config.credentials_dir.empty()
               ? std::nullopt
               : std::optional<std::string>(config.credentials_dir + "/" + profile + ".json");
  }
  if (!m_file.empty() && m_file_is_local) {
    return (std::filesystem::path(m_file).parent_path() / k_default_credentials_name).string();
  }
  auto state = util::app_state_folder(m_environment);
  return state ? std::optional<std::string>(*state + "/" + k_default_credentials_name) : std::nullopt;
}

void ConfigSource::complete_locations(Config& config) const {
  if (config.credentials_dir.empty()) {
    if (auto state = util::app_state_folder(m_environment)) {
      config.credentials_dir = *state + "/credentials";
      config.credentials_dir_in_state_home = true;
    }
  }
  if (config.credentials_file.empty()) {
    auto file = default_file_of(config.profile, config);
    if (!file) {
      throw no_home(config.profile == k_default_profile ? "the credentials" : "the credentials folder");
    }
    config.credentials_file = *file;
    // The XDG folders may be created with their parents, as the specification says; others may not.
    config.credentials_in_state_home =
        config.profile == k_default_profile ? m_file.empty() || !m_file_is_local : config.credentials_dir_in_state_home;
  }
  auto names = configured_profiles();
  names.push_back(k_default_profile);
  for (const auto& name : names) {
    if (name == config.profile) {
      continue;
    }
    auto file = credentials_file_of(name);
    if (!file) {
      file = default_file_of(name, config);
    }
    if (file) {
      config.profile_files[name] = *file;
    }
  }
  config.profile_files[config.profile] = config.credentials_file;
  complete_store_locations(config);
}

void ConfigSource::complete_store_locations(Config& config) const {
  auto state = util::app_state_folder(m_environment);
  if (config.store_journal_dir.empty() && state) {
    config.store_journal_dir = *state + "/journal";
  }
  if (config.store_cache_dir.empty()) {
    if (auto cache = util::cache_home(m_environment)) {
      config.store_cache_dir = *cache + "/keap-auth/tokens";
    }
  }
  if (config.store_key_file.empty()) {
    // systemd's LoadCredential= delivers it here, readable only by the unit.
    auto delivered = m_environment("CREDENTIALS_DIRECTORY");
    config.store_key_file = delivered ? *delivered + "/keap-auth-store-keys" : "/etc/keap-auth/store.keys";
  }
  if (config.store_statement_timeout.count() == 0) {
    config.store_statement_timeout = config.lock_timeout + Seconds(5);
  }
}

Config load_config(const ConfigFlags& flags, const EnvironmentLookup& environment) {
  ConfigSource source(flags, environment);
  return source.for_profile(source.selected_profile());
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
