#pragma once

#include "core/config.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

/// The config keys in one table: their names, the variable and the flag that set them, what they mean
/// and their defaults, and how a value of each is read, whichever layer it comes from (a file's JSON,
/// the environment's or a flag's text). The layering itself is ConfigSource's (config.cpp); the
/// documentation (the man page, docs/reference.md) is generated from this table.
namespace keap {

/// What the documentation says of one key.
struct KeyDescription {
  std::string name;
  std::string environment;   ///< the variable that sets it, or empty
  std::string flag;          ///< the flag that sets it, or empty
  std::string meaning;       ///< one sentence
  std::string default_value; ///< as the config file would say it, or how it is found
  std::string value_name;    ///< what its flag takes: DUR, FILE, VALUE, true|false
  std::string flag_meaning;  ///< what the flag means, when it differs from the key's meaning
};

/// Every key, in the table's order (profile and profiles, which are the file's own, included last).
std::vector<KeyDescription> key_descriptions();

/// True for a key a config file may hold.
bool is_config_key(const std::string& name);

/// Applies a config file's JSON `value` for key `name`. `base` is the folder relative paths are taken
/// from. Error (exit 2) naming `origin` and the key for a value of the wrong type or form; an unknown
/// name with the nearest known one.
void apply_json_value(Config& config, const std::string& name, const nlohmann::json& value, const std::string& origin,
                      const std::filesystem::path& base);

/// Applies `text` from the environment or a flag (`origin` names it) for key `name`: relative paths
/// stay relative to the working folder, as a shell user expects. Error (exit 2) naming `origin`.
void apply_text_value(Config& config, const std::string& name, const std::string& text, const std::string& origin);

/// The variable that sets each key, by key, for the environment layer.
std::vector<std::pair<std::string, std::string>> environment_variables();

/// The config key a flag sets (--lock-timeout: lock_timeout), or nothing.
std::optional<std::string> key_of_flag(const std::string& flag);

/// One key of an effective configuration, for `config show`.
struct ConfigEntry {
  std::string key;
  std::string value;       ///< as a config file would say it; a secret is "[set]" (or empty when unset)
  std::string origin;      ///< the flag, variable or file it came from, or "default"
  std::string environment; ///< the variable that sets it, if any
};
std::vector<ConfigEntry> config_entries(const Config& config);

/// `text` when it is UTF-8, which every value from the environment or the command line must be (it ends
/// up in JSON and in messages); Error (exit 2) naming `origin` otherwise.
std::string checked_text(const std::string& origin, std::string text);

/// The config keys, for "did you mean" and the documentation.
std::vector<std::string> config_key_names();

/// A duration given on the command line or in the environment; Error (exit 2) naming `origin` (the
/// flag or variable) and the accepted forms otherwise. `allow_zero` for limits where 0 means "do not wait".
std::chrono::seconds duration_value(const std::string& origin, const std::string& text, bool allow_zero = false);

} // namespace keap
