// `keap-auth config show|path`: what "it works in my shell but not in cron" needs to see: which file
// was read, and where every value came from.
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "core/config_keys.hpp"
#include "term/output.hpp"
#include "util/json.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct ConfigOptions {
  std::string action; ///< show | path
  bool json = false;
};

void define(CLI::App& config, ConfigOptions& options, GlobalOptions&) {
  config.require_subcommand(1);
  auto* show = config.add_subcommand("show", "Every key's effective value and where it came from (secrets as [set])");
  show->fallthrough();
  show->callback([&options] { options.action = "show"; });
  show->add_flag("--json", options.json, "Print it as JSON on stdout");
  auto* path = config.add_subcommand("path", "The config file that would be read, from the places searched");
  path->fallthrough();
  path->callback([&options] { options.action = "path"; });
}

std::string searched(const util::EnvironmentLookup& environment) {
  std::string text;
  for (const auto& path : config_search_path(environment)) {
    text += (text.empty() ? "" : ", ") + (path.starts_with('/') ? path : "./" + path); // ./: the working folder
  }
  return text;
}

int print_path(const ConfigSource& source, const util::EnvironmentLookup& environment) {
  if (source.file().empty()) {
    throw Error(ExitCode::failure, "no config file was found (searched " + searched(environment) + ")",
                "settings come from the environment and the defaults; name one with --config or KEAP_AUTH_CONFIG");
  }
  print_stdout(source.file() + "\n");
  return 0;
}

int show(const ConfigSource& source, const Config& config, bool json, const util::EnvironmentLookup& environment) {
  auto entries = config_entries(config);
  if (json) {
    nlohmann::ordered_json keys = nlohmann::ordered_json::object();
    for (const auto& entry : entries) {
      keys[entry.key] = {{"value", entry.value}, {"origin", entry.origin}};
    }
    nlohmann::ordered_json out = {
        {"schema", 1},
        {"config_file", source.file().empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(source.file())},
        {"searched", config_search_path(environment)},
        {"profile", config.profile},
        {"keys", keys}};
    print_stdout(util::dump_json(out, 2));
    return 0;
  }
  size_t width = 0;
  for (const auto& entry : entries) {
    width = std::max(width, entry.key.size());
  }
  std::string text =
      "config file: " + (source.file().empty() ? "none (searched " + searched(environment) + ")" : source.file()) +
      "\nprofile: " + config.profile + "\n\n";
  for (const auto& entry : entries) {
    text += entry.key + std::string(width - entry.key.size() + 2, ' ') +
            (entry.value.empty() ? "(unset)" : entry.value) + "  [" + entry.origin + "]\n";
  }
  for (const auto& warning : config.warnings) {
    text += "warning: " + warning + "\n";
  }
  print_stdout(text);
  return 0;
}

int run(const ConfigOptions& options, const GlobalOptions& global) {
  auto environment = util::process_environment();
  ConfigSource source(global.config, environment);
  if (options.action == "path") {
    return print_path(source, environment);
  }
  return show(source, source.for_profile(source.selected_profile()), options.json, environment);
}

} // namespace

std::unique_ptr<Command> config_command() {
  return make_command<ConfigOptions>({"config",
                                      "Show the effective configuration and where each value came from",
                                      define,
                                      {},
                                      run,
                                      [](const ConfigOptions& options) { return options.json; }});
}

} // namespace keap::commands
