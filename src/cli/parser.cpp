#include "cli/parser.hpp"

#include "cli/flags.hpp"
#include "core/version.hpp"
#include "term/output.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace keap::cli {

namespace {

void add_global_options(CLI::App& app, GlobalOptions& global) {
  add_text(app, "--config", global.config.config_file,
           "Config file (env KEAP_AUTH_CONFIG; default: the first of ./keap-auth.json, "
           "~/.config/keap-auth/config.json, /etc/keap-auth/config.json)",
           "FILE");
  add_config_flag(app, global, "credentials_file");
  add_text(app, "--profile", global.config.profile,
           "Which credential: a profile name (env KEAP_PROFILE; config profile; default \"default\"); "
           "`login --profile app` names the profile after the Keap app it grants",
           "NAME");
  add_config_flag(app, global, "client_id");
  add_config_flag(app, global, "client_secret");
  app.add_flag("-v,--verbose", global.verbose,
               "Show each HTTP exchange on stderr (every secret redacted), and what was not done");
  app.add_flag("-q,--quiet", global.quiet, "Print only errors (a cron job that succeeds prints nothing)");
}

std::vector<std::string> command_names(const CommandTable& commands) {
  std::vector<std::string> names;
  for (const auto& command : commands) {
    names.push_back(command->name());
  }
  return names;
}

/// The global options that take a value, so the command word can be found before CLI11 runs.
bool takes_value(std::string_view argument) {
  for (const char* name : {"--config", "--credentials", "--client-id", "--client-secret-file", "--profile"}) {
    if (argument == name) {
      return true;
    }
  }
  return false;
}

/// The first word that is not an option (or an option's value), or nothing.
std::optional<std::string> command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (argument == "--") {
      return i + 1 < argc ? std::optional<std::string>(argv[i + 1]) : std::nullopt;
    }
    if (takes_value(argument)) {
      ++i;
    } else if (!argument.starts_with("-")) {
      return std::string(argument);
    }
  }
  return std::nullopt;
}

bool asks_for_help_or_version(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (argument == "-h" || argument == "--help" || argument == "--version") {
      return true;
    }
  }
  return false;
}

/// Every flag `command` (and the top level) takes, for "did you mean".
std::vector<std::string> flags_of(const CLI::App& app, const CLI::App* command) {
  std::vector<std::string> flags;
  for (const CLI::App* level : {&app, command}) {
    if (level == nullptr) {
      continue;
    }
    for (const CLI::Option* option : level->get_options()) {
      for (const auto& name : option->get_lnames()) {
        flags.push_back("--" + name);
      }
    }
  }
  return flags;
}

int usage_error(const std::string& message, const std::string& hint) {
  term::print_error(Error(ExitCode::usage, message, hint));
  return static_cast<int>(ExitCode::usage);
}

/// Arguments nobody took: an unknown flag, or a stray word.
int unexpected(const CLI::App& app, const CLI::App* command, const std::vector<std::string>& extras) {
  const auto& first = extras.front();
  std::string where = command ? " for `keap-auth " + command->get_name() + "`" : "";
  if (first.starts_with("-")) {
    auto name = first.substr(0, first.find('='));
    auto near = util::nearest(name, flags_of(app, command));
    return usage_error("unknown option " + name + where,
                       near ? "did you mean " + *near + "?"
                            : "see `keap-auth " + (command ? command->get_name() + " " : "") + "--help`");
  }
  return usage_error("unexpected argument \"" + util::printable_excerpt(first, 80) + "\"" + where,
                     "see `keap-auth " + (command ? command->get_name() + " " : "") + "--help`");
}

/// CLI11's own failures, reworded in keap-auth's voice: each names the flag and says what to do.
int parse_failure(const CLI::ParseError& error, const std::string& command) {
  std::string message = error.what();
  std::string help = "see `keap-auth " + (command.empty() ? "" : command + " ") + "--help`";
  auto flag = message.substr(0, message.find(':'));
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    if (message.find(": At Most ") != std::string::npos) {
      return usage_error("option " + flag + " was given more than once", "give it once; " + help);
    }
    return usage_error("option " + flag + " needs a value", help);
  }
  if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr ||
      dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    // CLI11 words these "FLAG: REASON"; our validators' reasons are whole sentences already.
    return usage_error(message, help);
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    // CLI11 says "--json excludes --names".
    auto first = message.substr(0, message.find(' '));
    auto excluded = message.substr(message.rfind(' ') + 1);
    return usage_error(first + " cannot be used with " + excluded, help);
  }
  return usage_error(message.empty() ? "the command line cannot be read" : message, help);
}

/// `config shw`, `store key lst`: a word where a command needs one of its own subcommands is named
/// (with the nearest one), rather than CLI11's "A subcommand is required".
std::optional<int> unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* level = &app;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (argument == "--") {
      break;
    }
    if (takes_value(argument)) {
      ++i;
      continue;
    }
    if (argument.starts_with("-")) {
      continue;
    }
    auto children = level->get_subcommands([](const CLI::App*) { return true; });
    if (children.empty()) {
      break; // the rest are the command's own arguments
    }
    std::vector<std::string> names;
    const CLI::App* next = nullptr;
    for (const auto* child : children) {
      names.push_back(child->get_name());
      next = child->get_name() == argument ? child : next;
    }
    if (next == nullptr) {
      if (level == &app) {
        break; // the command word itself: parse_command_line has checked it
      }
      auto near = util::nearest(argument, names);
      return usage_error(
          "unknown subcommand \"" + util::printable_excerpt(argument, 40) + "\" for `keap-auth " + path + "`",
          near ? "did you mean `keap-auth " + path + " " + *near + "`?" : "one of: " + util::join(names));
    }
    path += (path.empty() ? "" : " ") + next->get_name();
    level = next;
  }
  return std::nullopt;
}

/// Global options listed under each command's --help, since they work after its name too.
std::string global_options_footer(const CLI::App& app) {
  std::string text = "Global options (before or after the command):\n";
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_name() == "--help" || option->get_name() == "--version") {
      continue;
    }
    auto name = option->get_name(false, true);
    if (option->get_expected_max() > 0) { // a flag takes none
      name += " " + option->get_type_name();
    }
    text += "  " + name + std::string(name.size() < 28 ? 28 - name.size() : 1, ' ') + option->get_description() + "\n";
  }
  return text;
}

std::string exit_codes_footer() {
  std::string text = "Exit codes:";
  for (const auto& [code, meaning] : k_exit_code_meanings) {
    text += "\n  " + std::to_string(static_cast<int>(code)) + "  " + meaning;
  }
  return text;
}

} // namespace

void define_command_line(CLI::App& app, const CommandTable& commands, GlobalOptions& global) {
  app.set_version_flag("--version", std::string("keap-auth ") + version());
  app.require_subcommand(0, 1);
  app.allow_extras();
  app.footer(exit_codes_footer());
  add_global_options(app, global);
  auto footer = global_options_footer(app);
  for (const auto& command : commands) {
    auto* sub = app.add_subcommand(command->name(), command->summary());
    sub->fallthrough(); // global options work after the command too
    sub->allow_extras();
    sub->footer(footer);
    command->define(*sub, global);
  }
}

Parsed parse_command_line(int argc, char** argv, const CommandTable& commands, GlobalOptions& global) {
  auto word = command_word(argc, argv);
  auto names = command_names(commands);
  if (word && std::find(names.begin(), names.end(), *word) == names.end()) {
    auto near = util::nearest(*word, names);
    return {nullptr,
            usage_error("unknown command \"" + util::printable_excerpt(*word, 80) + "\"",
                        near ? "did you mean `keap-auth " + *near + "`?" : "see `keap-auth --help` for the commands")};
  }
  if (!word && !asks_for_help_or_version(argc, argv)) {
    return {nullptr,
            usage_error("a command is required", "one of: " + util::join(names) + " (see `keap-auth --help`)")};
  }
  CLI::App app{"keap-auth: get, keep and use Keap's OAuth tokens and API keys (Personal Access Tokens, Service "
               "Account Keys)",
               "keap-auth"};
  define_command_line(app, commands, global);
  if (auto code = unknown_subcommand(app, argc, argv)) {
    return {nullptr, code};
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return {nullptr, app.exit(help)};
  } catch (const CLI::CallForAllHelp& help) {
    return {nullptr, app.exit(help)};
  } catch (const CLI::CallForVersion& version) {
    return {nullptr, app.exit(version)};
  } catch (const CLI::ParseError& error) {
    return {nullptr, parse_failure(error, word.value_or(""))};
  }
  auto chosen = app.get_subcommands();
  const CLI::App* sub = chosen.empty() ? nullptr : chosen.front();
  auto extras = app.remaining();
  if (sub != nullptr && extras.empty()) {
    extras = sub->remaining();
  }
  if (!extras.empty()) {
    return {nullptr, unexpected(app, sub, extras)};
  }
  global.program = argc > 0 ? argv[0] : "keap-auth";
  if (global.quiet && global.verbose) {
    return {nullptr, usage_error("--quiet and --verbose contradict each other", "give one of them")};
  }
  const Command* command = nullptr;
  for (const auto& candidate : commands) {
    command = sub != nullptr && candidate->name() == sub->get_name() ? candidate.get() : command;
  }
  if (command == nullptr) {
    return {nullptr, usage_error("a command is required", "one of: " + util::join(names))};
  }
  if (auto refusal = command->refusal(global)) {
    term::print_error(*refusal);
    return {nullptr, static_cast<int>(ExitCode::usage)};
  }
  return {command, std::nullopt};
}

} // namespace keap::cli
