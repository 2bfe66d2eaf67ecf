#include "cli/flags.hpp"

#include "core/config_keys.hpp"
#include "util/duration.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

namespace keap::cli {

CLI::Validator duration_check(bool positive) {
  return CLI::Validator(
      [positive](std::string& value) -> std::string {
        auto duration = util::parse_duration(value);
        if (!duration || (positive && duration->count() == 0)) {
          return "\"" + util::printable_excerpt(value, 40) + "\" is not a" + (positive ? " positive" : "") +
                 " duration (use " + std::string(util::k_duration_forms) + ")";
        }
        return {};
      },
      ""); // no name of its own: --help shows the option's DUR once
}

CLI::Validator stdin_only(const std::string& what) {
  return CLI::Validator(
      [what](const std::string& value) {
        return value == "-" ? std::string()
                            : "takes only -, and reads " + what +
                                  " from stdin (a secret on a command line is seen by every process and kept in "
                                  "shell history)";
      },
      "");
}

void add_text(CLI::App& app, const std::string& name, std::optional<std::string>& target, const std::string& help,
              const std::string& value_name) {
  app.add_option_function<std::string>(
         name, [&target](const std::string& value) { target = value; }, help)
      ->type_name(value_name);
}

bool names_one_credential(const GlobalOptions& global) {
  return global.config.profile.has_value() || global.config.find("credentials_file") != nullptr;
}

void add_config_flag(CLI::App& app, GlobalOptions& global, const std::string& key) {
  for (const auto& description : key_descriptions()) {
    if (description.name != key) {
      continue;
    }
    auto meaning = description.flag_meaning.empty() ? description.meaning : description.flag_meaning;
    if (meaning.ends_with('.')) {
      meaning.pop_back();
    }
    auto help = meaning + " (config " + key +
                (description.environment.empty() ? "" : ", env " + description.environment) + "; default " +
                description.default_value + ")";
    auto* option = app.add_option_function<std::string>(
        description.flag,
        [&global, key, flag = description.flag](const std::string& value) { global.config.set(key, flag, value); },
        help);
    option->type_name(description.value_name);
    if (description.value_name == "DUR") {
      option->check(duration_check(false));
    }
    return;
  }
  throw Error(ExitCode::failure, "internal error: no config key " + key + " for a flag");
}

} // namespace keap::cli
