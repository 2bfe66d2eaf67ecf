#include "reference/reference.hpp"

#include "agent/settings.hpp"
#include "cli/parser.hpp"
#include "commands/table.hpp"
#include "core/config.hpp"
#include "core/config_keys.hpp"
#include "core/version.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace keap::reference {

namespace {

/// One command or subcommand, flattened: "store key generate" and its options.
struct Command {
  std::string path; ///< words after keap-auth
  std::string summary;
  std::vector<const CLI::Option*> options;
  std::vector<std::string> subcommands; ///< the next words, if any
};

struct Tree {
  cli::CommandTable table = commands::all();
  cli::GlobalOptions options;
  CLI::App app{"keap-auth"};
  std::vector<Command> commands;
  std::vector<const CLI::Option*> global;

  Tree() {
    cli::define_command_line(app, table, options);
    for (const CLI::Option* option : app.get_options()) {
      global.push_back(option);
    }
    walk(app, "");
  }

  void walk(const CLI::App& parent, const std::string& prefix) {
    for (const CLI::App* command : parent.get_subcommands({})) {
      Command entry{prefix + command->get_name(), command->get_description(), {}, {}};
      for (const CLI::Option* option : command->get_options()) {
        if (option->get_name() != "--help") {
          entry.options.push_back(option);
        }
      }
      for (const CLI::App* next : command->get_subcommands({})) {
        entry.subcommands.push_back(next->get_name());
      }
      commands.push_back(entry);
      walk(*command, entry.path + " ");
    }
  }
};

const Tree& tree() {
  static const Tree k_tree;
  return k_tree;
}

bool takes_value(const CLI::Option& option) { return option.get_expected_max() > 0; } // a flag's is 0

/// "KIND:{pat,sak}" -> {"pat", "sak"}: the fixed set a value must come from, if there is one.
std::vector<std::string> value_set(const CLI::Option& option) {
  auto type = option.get_type_name();
  auto open = type.find('{');
  auto close = type.rfind('}');
  std::vector<std::string> values;
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return values;
  }
  auto inside = type.substr(open + 1, close - open - 1);
  for (size_t start = 0; start <= inside.size();) {
    auto comma = inside.find(',', start);
    auto value = inside.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!value.empty()) {
      values.push_back(value);
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return values;
}

std::string metavar(const CLI::Option& option) {
  auto type = option.get_type_name();
  return type.substr(0, type.find(':'));
}

/// troff: a backslash is an escape, a leading dot or quote a request, '-' a hyphen.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) {
    out = "\\&" + out;
  }
  return out;
}

std::string option_items(const std::vector<const CLI::Option*>& options) {
  std::string text;
  for (const auto* option : options) {
    auto names = option->get_name(false, true);
    text += ".TP\n.B " + roff(names) + (takes_value(*option) ? " \\fI" + roff(metavar(*option)) + "\\fR" : "") + "\n";
    text += roff(option->get_description());
    auto values = value_set(*option);
    if (!values.empty()) {
      std::string list;
      for (const auto& value : values) {
        list += (list.empty() ? "" : ", ") + value;
      }
      text += " One of: " + roff(list) + ".";
    }
    text += "\n";
  }
  return text;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) {
    text += (text.empty() ? "" : " ") + word;
  }
  return text;
}

/// Every long option name of a command, for the completions.
std::vector<std::string> flag_names(const std::vector<const CLI::Option*>& options) {
  std::vector<std::string> names;
  for (const auto* option : options) {
    for (const auto& name : option->get_lnames()) {
      names.push_back("--" + name);
    }
    for (const auto& name : option->get_snames()) {
      names.push_back("-" + name);
    }
  }
  return names;
}

/// What may follow a command: its subcommands, its flags and the global ones.
std::vector<std::string> next_words(const Command& command) {
  auto words = command.subcommands;
  auto flags = flag_names(command.options);
  auto globals = flag_names(tree().global);
  words.insert(words.end(), flags.begin(), flags.end());
  words.insert(words.end(), globals.begin(), globals.end());
  return words;
}

} // namespace

std::string man_page() {
  const auto& commands = tree().commands;
  std::string page = ".TH KEAP\\-AUTH 1 \"\" \"keap-auth " + roff(version()) + "\" \"User Commands\"\n";
  page += ".SH NAME\nkeap\\-auth \\- get, keep and use Keap OAuth tokens and API keys\n";
  page += ".SH SYNOPSIS\n.B keap\\-auth\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n";
  page += ".SH DESCRIPTION\nkeap\\-auth logs in to Keap once through the browser (or a two\\-step login on a host "
          "without one), stores the token pair privately, refreshes it before it dies (every refresh rotates the "
          "refresh token), and prints a valid access token for services. It also calls Keap's REST API with the "
          "stored credential, keeps many Keap accounts as profiles, and can share one grant between hosts "
          "through PostgreSQL.\n";
  page += ".SH COMMANDS\n";
  for (const auto& command : commands) {
    page += ".SS \"keap\\-auth " + roff(command.path) + "\"\n" + roff(command.summary) + "\n";
    if (!command.subcommands.empty()) {
      page += ".PP\nSubcommands: " + roff(join_words(command.subcommands)) + ".\n";
    }
    page += option_items(command.options);
  }
  page += ".SH GLOBAL OPTIONS\nThese work before or after the command.\n" + option_items(tree().global);
  page += ".SH CONFIGURATION\nA JSON object. Values come from the first of: flags, the environment, the "
          "selected profile's section of the config file, its top level, defaults; "
          "\\fBkeap\\-auth config show\\fR prints each value and where it came from. The keys:\n";
  auto keys = key_descriptions();
  auto agent_keys = agent::key_descriptions();
  keys.insert(keys.end(), agent_keys.begin(), agent_keys.end());
  for (const auto& key : keys) {
    std::string set_by;
    for (const auto& [what, name] : {std::pair{"environment", key.environment}, std::pair{"flag", key.flag}}) {
      if (!name.empty()) {
        set_by += std::string(set_by.empty() ? "" : "; ") + what + " " + name;
      }
    }
    page += ".TP\n.B " + roff(key.name) + "\n" + roff(key.meaning) + " Default: " + roff(key.default_value) + "." +
            (set_by.empty() ? std::string() : " Also set by: " + roff(set_by) + ".") + "\n";
  }
  page += ".SH ENVIRONMENT\n";
  std::vector<std::pair<std::string, std::string>> variables{
      {"KEAP_AUTH_CONFIG", "the config file"},
      {"KEAP_PROFILE", "the profile"},
      {"KEAP_API_KEY", "an API key used without being stored"},
      {"CREDENTIALS_DIRECTORY", "systemd's LoadCredential= folder: keap-client-secret and keap-auth-store-keys"},
      {"STATE_DIRECTORY", "systemd's StateDirectory=: the default home of credentials"},
      {"XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME", "where the config is looked for, the credentials go, and "
                                                          "the store's token cache lives"},
      {"BROWSER", "the browser login starts"},
  };
  for (const auto& key : key_descriptions()) {
    if (!key.environment.empty() && key.name != "profile") {
      variables.emplace_back(key.environment, "config key " + key.name);
    }
  }
  for (const auto& [name, meaning] : variables) {
    page += ".TP\n.B " + roff(name) + "\n" + roff(meaning) + "\n";
  }
  page += ".SH FILES\n";
  // A placeholder for the variable, so the page says what every machine has, not the build machine's home.
  auto placeholder = [](const char* name) {
    return std::string(name) == "XDG_CONFIG_HOME" ? std::optional<std::string>("/$XDG_CONFIG_HOME") : std::nullopt;
  };
  for (const auto& path : config_search_path(placeholder)) {
    auto shown = path.starts_with("/$") ? path.substr(1) : path.starts_with("/") ? path : "./" + path;
    page += ".TP\n.I " + roff(shown) + "\nconfig file, when none is named" +
            (path.starts_with("/$") ? std::string(" (XDG_CONFIG_HOME defaults to ~/.config)") : "") + "\n";
  }
  page += ".TP\n.I $XDG_STATE_HOME/keap\\-auth/keap\\-credentials.json\nthe default credentials (0600)\n"
          ".TP\n.I /etc/keap\\-auth/store.keys\nthe PostgreSQL store's keys (0600)\n"
          ".TP\n.I /usr/lib/systemd/system/keap\\-auth\\-refresh@.service\n"
          "with its .timer, refreshes a service account's credentials daily: "
          "\\fBsystemctl enable \\-\\-now keap\\-auth\\-refresh@ACCOUNT.timer\\fR "
          "(/usr/local/lib/systemd after \\fBcmake \\-\\-install\\fR)\n"
          ".TP\n.I /usr/lib/systemd/user/keap\\-auth\\-refresh.service\n"
          "the same for the user who logged in: \\fBsystemctl \\-\\-user enable \\-\\-now "
          "keap\\-auth\\-refresh.timer\\fR\n"
          ".TP\n.I /usr/share/doc/keap\\-auth/\nREADME.md, SECURITY.md and the examples (cron, systemd, Ansible, "
          "services in four languages)\n";
  page += ".SH EXIT STATUS\n";
  for (const auto& [code, meaning] : k_exit_code_meanings) {
    page += ".TP\n.B " + std::to_string(static_cast<int>(code)) + "\n" + roff(meaning) + "\n";
  }
  page += ".SH SEE ALSO\nREADME.md of keap\\-auth; \\fBcurl\\fR(1), \\fBsystemd.exec\\fR(5)\n";
  return page;
}

std::string bash_completion() {
  std::string script = "# bash completion for keap-auth, generated from its command table.\n"
                       "_keap_auth() {\n"
                       "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} path='' word i\n"
                       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
                       "    word=${COMP_WORDS[i]}\n"
                       "    case \"${path:+$path }$word\" in\n      ";
  // The words that continue a command path: "store", then "store key", then "store key generate".
  std::string alternatives;
  for (const auto& command : tree().commands) {
    alternatives += (alternatives.empty() ? "'" : "|'") + command.path + "'";
  }
  script += alternatives + ") path=\"${path:+$path }$word\" ;;\n    esac\n  done\n";
  script += "  case \"$prev\" in\n    --profile) COMPREPLY=($(compgen -W \"$(keap-auth list --names 2>/dev/null)\" -- "
            "\"$cur\")); return ;;\n";
  std::vector<const CLI::Option*> every = tree().global;
  for (const auto& command : tree().commands) {
    every.insert(every.end(), command.options.begin(), command.options.end());
  }
  // Each option by all its names (--method|-X), values from a fixed set first, files for the others. A
  // short name that means different things in different commands (-q) completes nothing of its own.
  std::vector<std::string> done{"--profile"};
  std::map<std::string, std::set<std::string>> meanings; // -q: --quiet, and --query for api
  for (const auto* option : every) {
    for (const auto& name : option->get_snames()) {
      meanings["-" + name].insert(option->get_name());
    }
  }
  for (const auto& [name, longs] : meanings) {
    if (longs.size() > 1) {
      done.push_back(name);
    }
  }
  auto pattern = [&](const CLI::Option& option) {
    std::string names;
    for (const auto& name : flag_names({&option})) {
      if (std::find(done.begin(), done.end(), name) == done.end()) {
        done.push_back(name);
        names += (names.empty() ? "" : "|") + name;
      }
    }
    return names;
  };
  for (const auto* option : every) {
    auto values = value_set(*option);
    auto names = values.empty() ? std::string() : pattern(*option);
    if (!names.empty()) {
      script += "    " + names + ") COMPREPLY=($(compgen -W '" + join_words(values) + "' -- \"$cur\")); return ;;\n";
    }
  }
  for (const auto* option : every) {
    auto names = takes_value(*option) ? pattern(*option) : std::string();
    if (!names.empty()) {
      script += "    " + names + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
    }
  }
  script += "  esac\n  case \"$path\" in\n";
  std::vector<std::string> top;
  for (const auto& command : tree().commands) {
    if (command.path.find(' ') == std::string::npos) {
      top.push_back(command.path);
    }
    script += "    '" + command.path + "') COMPREPLY=($(compgen -W '" + join_words(next_words(command)) +
              "' -- \"$cur\")) ;;\n";
  }
  auto globals = flag_names(tree().global);
  top.insert(top.end(), globals.begin(), globals.end());
  top.insert(top.end(), {"--help", "--version"});
  script += "    '') COMPREPLY=($(compgen -W '" + join_words(top) + "' -- \"$cur\")) ;;\n  esac\n}\n";
  script += "complete -F _keap_auth keap-auth\n";
  return script;
}

std::string zsh_completion() {
  std::string script = "#compdef keap-auth\n# zsh completion for keap-auth, generated from its command table.\n"
                       "_keap_auth() {\n  local -a commands\n  commands=(\n";
  for (const auto& command : tree().commands) {
    if (command.path.find(' ') == std::string::npos) {
      std::string summary = command.summary;
      std::replace(summary.begin(), summary.end(), '\'', ' ');
      std::replace(summary.begin(), summary.end(), ':', ' ');
      script += "    '" + command.path + ":" + summary + "'\n";
    }
  }
  script += "  )\n  if (( CURRENT == 2 )); then\n    _describe 'command' commands\n    return\n  fi\n"
            "  case $words[CURRENT-1] in\n    --profile) compadd -- ${(f)\"$(keap-auth list --names 2>/dev/null)\"}; "
            "return ;;\n  esac\n  case $words[2] in\n";
  for (const auto& command : tree().commands) {
    if (command.path.find(' ') != std::string::npos) {
      continue;
    }
    script += "    " + command.path + ") compadd -- " + join_words(next_words(command)) + " ;;\n";
  }
  script += "  esac\n}\n_keap_auth \"$@\"\n";
  return script;
}

std::string fish_completion() {
  std::string script = "# fish completion for keap-auth, generated from its command table.\n"
                       "complete -c keap-auth -f\n";
  std::string tops;
  for (const auto& command : tree().commands) {
    if (command.path.find(' ') == std::string::npos) {
      tops += (tops.empty() ? "" : " ") + command.path;
    }
  }
  for (const auto& command : tree().commands) {
    if (command.path.find(' ') != std::string::npos) {
      continue;
    }
    std::string summary = command.summary;
    std::replace(summary.begin(), summary.end(), '\'', ' ');
    script += "complete -c keap-auth -n 'not __fish_seen_subcommand_from " + tops + "' -a " + command.path + " -d '" +
              summary + "'\n";
    for (const auto* option : command.options) {
      for (const auto& name : option->get_lnames()) {
        std::string description = option->get_description();
        std::replace(description.begin(), description.end(), '\'', ' ');
        auto values = value_set(*option);
        script += "complete -c keap-auth -n '__fish_seen_subcommand_from " + command.path + "' -l " + name +
                  (takes_value(*option) ? " -r" : "") +
                  (values.empty() ? std::string() : " -a '" + join_words(values) + "'") + " -d '" +
                  description.substr(0, 60) + "'\n";
      }
    }
  }
  for (const auto* option : tree().global) {
    for (const auto& name : option->get_lnames()) {
      script += "complete -c keap-auth -l " + name + (takes_value(*option) ? " -r" : "") + "\n";
    }
  }
  script += "complete -c keap-auth -l profile -x -a '(keap-auth list --names 2>/dev/null)'\n";
  return script;
}

namespace {

/// Text for one cell of a Markdown table.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  }
  return out;
}

std::string option_name(const CLI::Option& option) {
  auto name = option.get_name(false, true);
  return takes_value(option) ? name + " " + metavar(option) : name;
}

std::string commands_markdown() {
  std::string text = "| command | what it does |\n| --- | --- |\n";
  for (const auto& command : tree().commands) {
    text += "| `keap-auth " + command.path + "` | " + cell(command.summary) + " |\n";
  }
  // Each option once per meaning, with the commands that take it.
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<std::string>>> options;
  for (const auto& command : tree().commands) {
    for (const auto* option : command.options) {
      std::pair<std::string, std::string> key{option_name(*option), option->get_description()};
      auto found = std::find_if(options.begin(), options.end(), [&](const auto& entry) { return entry.first == key; });
      if (found == options.end()) {
        options.push_back({key, {command.path}});
      } else {
        found->second.push_back(command.path);
      }
    }
  }
  text += "\nTheir options:\n\n| option | commands | meaning |\n| --- | --- | --- |\n";
  for (const auto& [option, commands] : options) {
    std::string list;
    for (const auto& command : commands) {
      list += (list.empty() ? "" : ", ") + command;
    }
    text += "| `" + cell(option.first) + "` | " + cell(list) + " | " + cell(option.second) + " |\n";
  }
  text += "\nGlobal options, before or after the command:\n\n| option | meaning |\n| --- | --- |\n";
  for (const auto* option : tree().global) {
    if (option->get_name() != "--help" && option->get_name() != "--version") {
      text += "| `" + option_name(*option) + "` | " + cell(option->get_description()) + " |\n";
    }
  }
  return text;
}

std::string keys_markdown(const std::vector<KeyDescription>& keys) {
  std::string text = "| key | meaning | default | environment | flag |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& key : keys) {
    auto code = [](const std::string& word) { return word.empty() ? std::string() : "`" + word + "`"; };
    text += "| `" + key.name + "` | " + cell(key.meaning) + " | " + cell(key.default_value) + " | " +
            code(key.environment) + " | " + code(key.flag) + " |\n";
  }
  return text;
}

std::string config_keys_markdown() { return keys_markdown(key_descriptions()); }

std::string exit_codes_markdown() {
  std::string text = "| code | meaning |\n| --- | --- |\n";
  for (const auto& [code, meaning] : k_exit_code_meanings) {
    text += "| " + std::to_string(static_cast<int>(code)) + " | " + cell(meaning) + " |\n";
  }
  return text;
}

} // namespace

std::optional<std::string> markdown_section(const std::string& name) {
  if (name == "commands") {
    return commands_markdown();
  }
  if (name == "config-keys") {
    return config_keys_markdown();
  }
  if (name == "exit-codes") {
    return exit_codes_markdown();
  }
  if (name == "agent-keys") {
    return keys_markdown(agent::key_descriptions());
  }
  return std::nullopt;
}

std::string regenerate(const std::string& document) {
  static constexpr std::string_view k_open = "<!-- generated: ", k_end = "<!-- end generated -->";
  std::string out;
  size_t at = 0;
  for (auto open = document.find(k_open); open != std::string::npos; open = document.find(k_open, at)) {
    auto name_end = document.find(" -->", open);
    auto end = name_end == std::string::npos ? name_end : document.find(k_end, name_end);
    auto section = end == std::string::npos
                       ? std::nullopt
                       : markdown_section(document.substr(open + k_open.size(), name_end - open - k_open.size()));
    if (!section) {
      break; // not a marker pair this tool knows: the rest stays as it is
    }
    out += document.substr(at, name_end + 4 - at) + "\n" + *section + document.substr(end, k_end.size());
    at = end + k_end.size();
  }
  return out + document.substr(at);
}

} // namespace keap::reference
