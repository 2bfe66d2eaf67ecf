#pragma once

#include "cli/command.hpp"

#include <optional>
#include <string>

namespace CLI {
class Validator;
}

/// The kinds of flag every command declares alike, so each reads, checks and documents them the same way.
namespace keap::cli {

/// A flag whose value is a duration (`positive`: more than 0s), checked as it is parsed, so a bad value
/// fails before anything is done, not on the day it is first used.
CLI::Validator duration_check(bool positive);

/// A flag whose value is a secret: it takes only -, and the secret comes on stdin. Anything else is
/// refused without being echoed (it is most likely the secret itself, now in /proc and shell history).
CLI::Validator stdin_only(const std::string& what);

/// A flag with a text value, kept in `target` when given.
void add_text(CLI::App& app, const std::string& name, std::optional<std::string>& target, const std::string& help,
              const std::string& value_name);

/// The flag that sets config key `key` (its name, help, value and default from the key table in
/// core/config_keys.cpp), kept in `global.config`.
void add_config_flag(CLI::App& app, GlobalOptions& global, const std::string& key);

/// True when --profile or --credentials names one credential.
bool names_one_credential(const GlobalOptions& global);

/// The rule of a command that goes through every credential the store holds (when `every` says so):
/// --profile and --credentials would name one.
template <class Options> Rule<Options> every_credential_rule(bool (*every)(const Options&)) {
  return {[every](const Options& options, const GlobalOptions& global) {
            return every(options) && names_one_credential(global);
          },
          "--profile and --credentials name one credential; this goes through every one the store holds",
          "leave them out, or drop --all to act on that one"};
}

} // namespace keap::cli
