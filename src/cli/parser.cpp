#include "cli/parser.hpp"

#include "cli/output.hpp"
#include "core/version.hpp"
#include "emulator/faults.hpp"
#include "util/duration.hpp"
#include "util/text.hpp"

// With libstdc++, <iostream> gives every file that includes it a static std::ios_base::Init, which
// builds the standard streams and the locale before main: a seventh of what the token hot path costs
// (callgrind), for streams that only --help and usage errors use. CLI11 includes <iostream>; this file
// declares what CLI11 needs of it instead, and parse_command_line(), the only way into CLI11 in the
// light executable, builds the streams first.
#include <istream>
#include <ostream>
#if defined(__GLIBCXX__) && !defined(_GLIBCXX_IOSTREAM)
#define _GLIBCXX_IOSTREAM 1
#define KEAP_AUTH_DEFERRED_STREAMS 1
namespace std {
extern istream cin;
extern ostream cout;
extern ostream cerr;
extern ostream clog;
} // namespace std
#endif
#include <CLI/CLI.hpp>

namespace keap::cli {

namespace {

/// A CLI11 check that a flag's value is a duration (`positive`: more than 0s), so a bad value fails
/// before anything is done, not on the day it is first used.
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
      "DUR");
}

/// A flag whose value is a secret: it takes only -, and the secret comes on stdin. Anything else is
/// refused without being echoed (it is most likely the secret itself, now in /proc and shell history).
CLI::Validator stdin_only(const std::string& what) {
  return CLI::Validator(
      [what](const std::string& value) {
        return value == "-" ? std::string()
                            : "takes only -, and reads " + what +
                                  " from stdin (a secret on a command line is seen by every process and kept in "
                                  "shell history)";
      },
      "-");
}

void add_text(CLI::App& app, const std::string& name, std::optional<std::string>& target, const std::string& help,
              const std::string& type) {
  app.add_option_function<std::string>(
         name, [&target](const std::string& value) { target = value; }, help)
      ->type_name(type);
}

void add_global_options(CLI::App& app, GlobalOptions& global) {
  add_text(app, "--config", global.config.config_file,
           "Config file (env KEAP_AUTH_CONFIG; default: the first of ./keap-auth.json, "
           "~/.config/keap-auth/config.json, /etc/keap-auth/config.json)",
           "FILE");
  add_text(app, "--credentials", global.config.credentials_file,
           "Credentials file (env KEAP_CREDENTIALS; config credentials_file)", "FILE");
  add_text(app, "--profile", global.config.profile,
           "Which credential: a profile name (env KEAP_PROFILE; config profile; default \"default\")", "NAME");
  add_text(app, "--client-id", global.config.client_id, "OAuth client id (env KEAP_CLIENT_ID; config client_id)", "ID");
  add_text(app, "--client-secret-file", global.config.client_secret_file,
           "File holding the client secret (never pass the secret itself in argv)", "FILE");
  app.add_flag("-v,--verbose", global.verbose,
               "Show each HTTP exchange on stderr (every secret redacted), and what was not done");
  app.add_flag("-q,--quiet", global.quiet, "Print only errors (a cron job that succeeds prints nothing)");
}

void add_lock_timeout(CLI::App& command, CommandLine& line) {
  command
      .add_option_function<std::string>(
          "--lock-timeout", [&line](const std::string& value) { line.global.config.lock_timeout = value; },
          "Longest wait for another process's refresh (default: config lock_timeout, 120s)")
      ->type_name("DUR")
      ->check(duration_check(false));
}

void define_login(CLI::App& login, CommandLine& line) {
  auto& options = line.login;
  add_text(login, "--api-key-file", options.api_key_file,
           "Store a Personal Access Token or Service Account Key from FILE instead of an OAuth login", "FILE");
  login
      .add_option("--api-key", options.api_key,
                  "The same, read from stdin: give - (a key never goes on a command line)")
      ->type_name("-")
      ->check(stdin_only("the key"));
  login.add_option("--key-kind", options.key_kind, "The key's kind: pat or sak (Keap's keys look alike)")
      ->type_name("KIND")
      ->check(CLI::IsMember({"pat", "sak"}));
  login.add_flag("--no-browser", options.no_browser, "Only print the URL to open; start no browser");
  login.add_option("--timeout", options.timeout, "How long to wait for the browser (default 5m)")
      ->type_name("DUR")
      ->check(duration_check(true));
  login.add_flag("--force", options.force, "Replace credentials of another Keap app or client_id");
  login.add_flag("--json", options.json, "Print a summary without secrets on stdout");
  auto* begin =
      login.add_flag("--begin", options.begin, "Two-step login: save a pending request, print the URL on stdout, exit");
  auto* finish = login
                     .add_option("--finish", options.finish,
                                 "Two-step login: complete it with the address the browser landed on (or the code), "
                                 "read from stdin: give -")
                     ->type_name("-")
                     ->check(stdin_only("the address (it holds the authorization code)"));
  auto* manual = login.add_flag("--manual", options.manual,
                                "Print the URL, then read the address the browser landed on from stdin");
  begin->excludes(finish)->excludes(manual);
  login.add_flag("--if-needed", options.if_needed,
                 "Do nothing (exit 0, \"changed\": false with --json) when the credentials are usable, as status says")
      ->excludes(finish);
  finish->excludes(manual);
  add_text(login, "--tls-cert", line.global.config.tls_cert,
           "Certificate (PEM) for an https redirect_uri (default: a reusable self-signed one)", "FILE");
  add_text(login, "--tls-key", line.global.config.tls_key, "Its private key (PEM)", "FILE");
}

void define_refresh(CLI::App& refresh, CommandLine& line) {
  auto& options = line.refresh;
  refresh.add_flag("--force", options.force, "Refresh even if the conditions given do not hold");
  refresh.add_option("--if-older-than", options.if_older_than, "Only if the refresh token is at least DUR old")
      ->type_name("DUR")
      ->check(duration_check(false));
  refresh.add_option("--if-expires-within", options.if_expires_within, "Only if the access token expires within DUR")
      ->type_name("DUR")
      ->check(duration_check(false));
  refresh.add_flag("--use-config-client", options.use_config_client,
                   "Refresh as the client the config names (after rotating the client secret) and store it");
  refresh.add_flag("--json", options.json, "Print what was done as JSON on stdout");
  refresh.add_flag("--all", options.all, "Every credential the store holds, each under its own lock");
  refresh.add_option("--jobs", options.jobs, "With --all: how many at once (1 to 8; default 1)")
      ->check(CLI::Range(1, 8));
  refresh.add_option("--jitter", options.jitter, "With --all: first wait a random time up to DUR (cron on many hosts)")
      ->type_name("DUR")
      ->check(duration_check(true));
  add_lock_timeout(refresh, line);
}

void define_token(CLI::App& token, CommandLine& line) {
  auto& options = line.token;
  token.add_option("--min-valid", options.min_valid, "Refresh first if it expires within DUR (default 5m)")
      ->type_name("DUR")
      ->check(duration_check(false));
  token.add_flag("--header", options.header,
                 "Print the header line instead: 'Authorization: Bearer TOKEN' (or 'X-Keap-API-Key: KEY')");
  token.add_flag("--no-cache", options.no_cache,
                 "Ask the PostgreSQL store itself, not this host's access-token cache (store_cache_ttl)");
  token
      .add_option("--rejected", options.rejected,
                  "The token on stdin (give -) just got a 401: print the stored token if it differs, else refresh once")
      ->type_name("-")
      ->check(stdin_only("the token"));
  add_lock_timeout(token, line);
}

void define_status(CLI::App& status, CommandLine& line) {
  status.add_flag("--json", line.status.json, "Print it as JSON on stdout");
  status.add_flag("--all", line.status.all, "Every credential the store holds, with the next step for each");
}

void define_store(CLI::App& store, CommandLine& line) {
  auto& options = line.store;
  store.require_subcommand(1);
  auto action = [&](CLI::App& parent, const char* name, const char* summary, std::string value) {
    auto* command = parent.add_subcommand(name, summary);
    command->fallthrough();
    command->callback([&options, value] { options.action = value; });
    return command;
  };
  action(store, "init", "Make the schema and the store's id (idempotent; --print-sql for a DBA)", "init")
      ->add_flag("--print-sql", options.print_sql, "Print the SQL, with least-privilege roles, and change nothing");
  auto* key = store.add_subcommand("key", "The keys that seal the tokens");
  key->require_subcommand(1);
  key->fallthrough();
  action(*key, "generate", "Add a new active key to store_key_file (created 0600); then run store rekey",
         "key generate")
      ->add_flag("--print", options.print_key, "Print the key line (KID BASE64 active) instead, for a secret manager");
  action(*key, "list", "The key ids in store_key_file, and how many credentials each seals", "key list");
  action(store, "rekey", "Seal every credential again under the active key, online", "rekey");
  auto* import = action(store, "import", "Move a credentials file into the store as --profile (the file is retired)",
                        "import");
  add_text(*import, "--from", options.from, "The credentials file (or rescue file) to import", "FILE");
  import->add_flag("--replace", options.replace, "Replace the profile if the store holds it already");
  auto* export_ = action(store, "export", "Write --profile's credential to a new 0600 file (the row is disabled)",
                         "export");
  add_text(*export_, "--to", options.to, "The file to create", "FILE");
  export_->add_flag("--keep", options.keep, "Leave the row in use too (two live copies: only for a backup you will not refresh)");
  action(store, "doctor", "Check TLS, timeouts, a pooler, clock skew, keys, journals, logins needed", "doctor");
  action(store, "reconcile", "Put every leftover journal's pair into the store", "reconcile");
  add_lock_timeout(store, line);
}

void define_config(CLI::App& config, CommandLine& line) {
  auto& options = line.config;
  config.require_subcommand(1);
  auto* show = config.add_subcommand("show", "Every key's effective value and where it came from (secrets as [set])");
  show->fallthrough();
  show->callback([&options] { options.action = "show"; });
  show->add_flag("--json", options.json, "Print it as JSON on stdout");
  auto* path = config.add_subcommand("path", "The config file that would be read, from the places searched");
  path->fallthrough();
  path->callback([&options] { options.action = "path"; });
}

void define_list(CLI::App& list, CommandLine& line) {
  auto* json = list.add_flag("--json", line.list.json, "Print it as JSON on stdout");
  list.add_flag("--names", line.list.names, "Only the profile names, one per line (for completions and scripts)")
      ->excludes(json);
}

void define_whoami(CLI::App& whoami, CommandLine& line) {
  whoami.add_flag("--json", line.whoami.json, "Print the user as JSON on stdout");
  add_lock_timeout(whoami, line);
}

void define_logout(CLI::App& logout, CommandLine& line) {
  logout.add_flag("--json", line.logout.json, "Print what was removed as JSON on stdout");
  add_lock_timeout(logout, line);
}

void define_api(CLI::App& api, CommandLine& line) {
  auto& options = line.api;
  api.add_option("endpoint", options.endpoint, "v1/..., v2/... (under api_base_url), or an https URL on its host")
      ->required()
      ->type_name("ENDPOINT");
  api.add_option("-X,--method", options.method, "The method (default GET, or POST when a body is given)")
      ->type_name("METHOD")
      ->check(CLI::IsMember({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, CLI::ignore_case));
  // One value per flag, so `-q limit=5 v1/contacts` leaves the endpoint alone. Here -q is --query: the
  // global --quiet keeps its long name.
  api.add_option("-q,--query", options.query, "A query parameter KEY=VALUE (repeatable; --quiet is spelled out here)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  // -f and -F keep their command-line order between them: it decides how arrays fill.
  api.add_option_function<std::string>(
         "-f,--raw-field", [&options](const std::string& value) { options.fields.emplace_back(false, value); },
         "A string field KEY=VALUE of the JSON body; KEY[SUB]= and KEY[]= nest (repeatable)")
      ->type_name("KEY=VALUE")
      ->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  api.add_option_function<std::string>(
         "-F,--field", [&options](const std::string& value) { options.fields.emplace_back(true, value); },
         "A typed field: true, false, null and numbers become JSON, @FILE and @- read text, KEY:=JSON (repeatable)")
      ->type_name("KEY=VALUE")
      ->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  api.add_option("-H,--header", options.headers, "An extra header 'Name: value' (repeatable)")
      ->type_name("HEADER")
      ->allow_extra_args(false);
  add_text(api, "--input", options.input, "The raw request body from FILE, or - for stdin", "FILE");
  add_text(api, "--upload", options.upload, "Upload FILE: the body v1/files or v2/files wants", "FILE");
  api.add_flag("--paginate", options.paginate, "Fetch every page of a list (GET) and print one document");
  api.add_flag("--items", options.items, "With --paginate: one item per line, as the pages come (constant memory)");
  api.add_option("--max-pages", options.max_pages, "With --paginate: stop after N pages")->check(CLI::PositiveNumber);
  api.add_option("--max-items", options.max_items, "With --paginate: stop after N items")->check(CLI::PositiveNumber);
  api.add_flag("-i,--include", options.include, "Print the status line and the headers before the body");
  api.add_flag("--silent", options.silent, "Print no body");
  api.add_flag("--envelope", options.envelope,
               "Print one JSON object: status, headers, body, rate limits, attempts, whether a refresh happened");
  api.add_flag("--dry-run", options.dry_run, "Print the equivalent curl command and send nothing");
  add_text(api, "-o,--output", options.output,
           "Write the body to FILE (atomically, 0600); - prints it exactly as it came, even to a terminal", "FILE");
  api.add_option("--retry", options.retry, "Attempts after a 429, a 502/503/504 or a failed connection (default 3)")
      ->check(CLI::Range(0, 10));
  api.add_flag("--retry-unsafe", options.retry_unsafe,
               "Also retry POST and PATCH after a 502/503/504 or a lost answer");
  api.add_option("--min-valid", options.min_valid, "Refresh an OAuth token first if it expires within DUR (default 5m)")
      ->type_name("DUR")
      ->check(duration_check(false));
  add_lock_timeout(api, line);
}

void define_emulator(CLI::App& emulator, CommandLine& line) {
  auto& options = line.emulator;
  emulator.add_option("--port", options.port, "Port on 127.0.0.1 (0 = any free port; default 9876)")
      ->check(CLI::Range(0, 65535));
  emulator.add_option("--emulated-client-id", options.client_id, "The client_id it accepts");
  emulator.add_option("--app", options.app, "The Keap app name it grants (scope full|APP.infusionsoft.com)");
  emulator.add_option("--access-ttl", options.access_ttl, "Access token lifetime (default 24h)")
      ->type_name("DUR")
      ->check(duration_check(true));
  emulator.add_option("--refresh-ttl", options.refresh_ttl, "Refresh token lifetime (default 45d)")
      ->type_name("DUR")
      ->check(duration_check(true));
  emulator.add_flag("--auto-approve", options.auto_approve, "Redirect at once instead of showing Allow / Deny");
  emulator.add_flag("--enforce-pkce", options.enforce_pkce, "Require and verify PKCE S256 (Keap likely ignores it)");
  emulator.add_flag("--legacy-errors", options.legacy_errors, "Answer a dead refresh token the pre-2020 way");
  std::vector<std::string> faults;
  for (const auto& named : emulator::named_faults()) {
    faults.emplace_back(named.name);
  }
  emulator.add_option("--fault", options.fault, "Make the token endpoint fail: " + emulator::fault_names())
      ->type_name("NAME")
      ->check(CLI::IsMember(faults));
  emulator.add_option("--userinfo-fault", options.userinfo_fault, "Make the userinfo endpoint fail (same names)")
      ->type_name("NAME")
      ->check(CLI::IsMember(faults));
  emulator.add_flag("--tls", options.tls,
                    "Serve HTTPS with the stored self-signed certificate (clients need it as ca_file)");
  emulator.add_option("--contacts", options.contacts, "Contacts the REST API starts with (default 100)")
      ->check(CLI::Range(0, 1000000));
  emulator.add_option("--quota-per-day", options.quota_per_day, "API calls a client id or key may make a day")
      ->check(CLI::Range(1LL, 100000000LL));
  emulator.add_option("--throttle-per-minute", options.throttle_per_minute, "API calls per rolling minute")
      ->check(CLI::Range(1LL, 1000000LL));
  emulator
      .add_option("--api-fault", options.api_faults,
                  "Fail the next API calls: NAME[:COUNT] with NAME one of 401, 429, quota, 502, 503, 504, reset, "
                  "slow (repeatable; COUNT default 1)")
      ->type_name("NAME[:COUNT]")
      ->allow_extra_args(false);
  emulator
      .add_option("--api-switch", options.api_switches,
                  "Play an unknown of Keap's API one way: " + util::join(emulator::api_switch_list()) + " (repeatable)")
      ->type_name("NAME")
      ->check(CLI::IsMember(emulator::api_switch_list()))
      ->allow_extra_args(false);
  emulator.add_option("--retry-after", options.retry_after, "Send this Retry-After with API 429s (Keap sends none)")
      ->type_name("VALUE");
  emulator.add_flag("--log-requests", options.log_requests,
                    "Print each request on stderr: method, path, status, framing and credential headers (redacted)");
  emulator
      .add_option("--write-config", options.write_config,
                  "Also write a ready client config (0600, with the secret) to FILE")
      ->type_name("FILE");
}

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& spec : command_table()) {
    names.emplace_back(spec.name);
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
  print_error(Error(ExitCode::usage, message, hint));
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
      return usage_error("unknown subcommand \"" + util::printable_excerpt(argument, 40) + "\" for `keap-auth " +
                             path + "`",
                         near ? "did you mean `keap-auth " + path + " " + *near + "`?"
                              : "one of: " + util::join(names));
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

/// Combinations the parser accepts but that would mean nothing: refused, so nobody trusts a flag that
/// is silently ignored.
std::optional<int> meaningless(const CommandLine& line) {
  const auto& config = line.global.config;
  if (line.command == "emulator") {
    for (auto [given, name] : {std::pair{config.client_id.has_value(), "--client-id"},
                               std::pair{config.client_secret_file.has_value(), "--client-secret-file"},
                               std::pair{config.credentials_file.has_value(), "--credentials"},
                               std::pair{config.config_file.has_value(), "--config"}}) {
      if (given) {
        return usage_error(std::string(name) + " has no effect on `keap-auth emulator`, which reads no config",
                           std::string(name) == "--client-id" ? "use --emulated-client-id for the client it accepts"
                                                              : "leave it out");
      }
    }
  }
  if (line.command == "login") {
    const auto& login = line.login;
    if (login.api_key_file && login.api_key) {
      return usage_error("give the key once: --api-key-file or --api-key -", "leave one of them out");
    }
    bool two_step = login.begin || login.finish || login.manual;
    if (two_step && (config.tls_cert || config.tls_key)) {
      return usage_error("--tls-cert and --tls-key serve the interactive login's https receiver; a two-step or "
                         "--manual login has no receiver",
                         "leave them out");
    }
    if (two_step && login.no_browser) {
      return usage_error("--no-browser has no effect on a two-step or --manual login, which never starts one",
                         "leave it out");
    }
  }
  if (line.command == "api") {
    const auto& api = line.api;
    int bodies = (api.input ? 1 : 0) + (api.upload ? 1 : 0) + (!api.fields.empty() && !api.upload ? 1 : 0);
    if (bodies > 1) {
      return usage_error("--input, --upload and fields each make the whole body; give one of them",
                         "--upload takes fields for the upload's own parts (-F contact_id=...)");
    }
    if ((api.items || api.max_pages || api.max_items) && !api.paginate) {
      return usage_error("--items, --max-pages and --max-items go with --paginate", "add --paginate");
    }
  }
  if (line.command == "login" && (line.login.api_key_file || line.login.api_key)) {
    const auto& login = line.login;
    if (login.begin || login.finish || login.manual || login.no_browser) {
      return usage_error("an API key is stored as it is: --api-key-file and --api-key take no browser options",
                         "leave out --begin, --finish, --manual and --no-browser");
    }
  }
  if (line.login.key_kind && !line.login.api_key_file && !line.login.api_key) {
    return usage_error("--key-kind goes with --api-key-file or --api-key", "add the key");
  }
  bool all = (line.command == "refresh" && line.refresh.all) || (line.command == "status" && line.status.all) ||
             line.command == "list";
  if (all && (config.profile || config.credentials_file)) {
    return usage_error(std::string(config.profile ? "--profile" : "--credentials") +
                           " names one credential; this goes through every one the store holds",
                       "leave it out, or drop --all to act on that one");
  }
  if (line.command == "refresh" && !line.refresh.all && (line.refresh.jobs != 1 || line.refresh.jitter)) {
    return usage_error("--jobs and --jitter go with --all", "add --all");
  }
  if (line.command == "refresh" && line.refresh.all && line.refresh.use_config_client) {
    return usage_error("--use-config-client replaces one grant's client; with --all it would change every profile's",
                       "run it for one profile: keap-auth refresh --profile NAME --use-config-client");
  }
  if (line.command == "emulator" && config.profile) {
    return usage_error("--profile has no effect on `keap-auth emulator`", "leave it out");
  }
  if (line.global.quiet && line.global.verbose) {
    return usage_error("--quiet and --verbose contradict each other", "give one of them");
  }
  return std::nullopt;
}

} // namespace

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> k_commands{
      {"login", "Authorize once in the browser and save the token pair", define_login},
      {"refresh", "Refresh the token pair now, or when a condition holds", define_refresh},
      {"token", "Print a valid access token (refreshing first when needed)", define_token},
      {"status", "Show the credentials' state and what to do next (no secrets)", define_status},
      {"list", "One line per credential the store holds: kind, app, expiry, health (no secrets)", define_list},
      {"store", "The shared PostgreSQL store: init, key, rekey, import, export, doctor, reconcile", define_store},
      {"config", "Show the effective configuration and where each value came from", define_config},
      {"whoami", "Ask Keap who the token belongs to", define_whoami},
      {"logout", "Remove the profile's credentials (and what was kept beside them) from this store", define_logout},
      {"api", "Call Keap's REST API with the stored credential (OAuth token or API key)", define_api},
      {"emulator", "Run a local Keap look-alike for tests, demos and offline work", define_emulator},
  };
  return k_commands;
}

void define_command_line(CLI::App& app, CommandLine& line) {
  app.set_version_flag("--version", std::string("keap-auth ") + version());
  app.require_subcommand(0, 1);
  app.allow_extras();
  app.footer("Exit codes: 0 ok, 1 other error, 2 usage or configuration, 3 denied or timed out,\n"
             "4 re-login required, 5 network/TLS/server, 6 API refused, 7 rate limited, 130 interrupted.");
  add_global_options(app, line.global);
  auto footer = global_options_footer(app);
  for (const auto& spec : command_table()) {
    auto* command = app.add_subcommand(spec.name, spec.summary);
    command->fallthrough(); // global options work after the command too
    command->allow_extras();
    command->footer(footer);
    spec.define(*command, line);
  }
}

std::optional<int> parse_command_line(int argc, char** argv, CommandLine& line) {
#ifdef KEAP_AUTH_DEFERRED_STREAMS
  static const std::ios_base::Init streams; // see the top of this file
#endif
  auto word = command_word(argc, argv);
  auto names = command_names();
  if (word && std::find(names.begin(), names.end(), *word) == names.end()) {
    auto near = util::nearest(*word, names);
    return usage_error("unknown command \"" + util::printable_excerpt(*word, 80) + "\"",
                       near ? "did you mean `keap-auth " + *near + "`?" : "see `keap-auth --help` for the commands");
  }
  if (!word && !asks_for_help_or_version(argc, argv)) {
    return usage_error("a command is required", "one of: " + util::join(names) + " (see `keap-auth --help`)");
  }
  CLI::App app{"keap-auth: get and keep OAuth2 tokens for Keap's REST API", "keap-auth"};
  define_command_line(app, line);
  if (auto code = unknown_subcommand(app, argc, argv)) {
    return *code;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    return parse_failure(error, word.value_or(""));
  }
  auto chosen = app.get_subcommands();
  const CLI::App* command = chosen.empty() ? nullptr : chosen.front();
  auto extras = app.remaining();
  if (command != nullptr && extras.empty()) {
    extras = command->remaining();
  }
  if (!extras.empty()) {
    return unexpected(app, command, extras);
  }
  line.command = command ? command->get_name() : std::string{};
  line.program = argc > 0 ? argv[0] : "keap-auth";
  return meaningless(line);
}

} // namespace keap::cli
