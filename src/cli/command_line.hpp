#pragma once

#include "core/config.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

/// Everything the command line can say, as plain data: parser.cpp fills it, the commands read it.
namespace keap::cli {

/// Options every command accepts, before or after its name.
struct GlobalOptions {
  ConfigFlags config;
  bool verbose = false; ///< every HTTP exchange, and what was not done
  bool quiet = false;   ///< errors only
};

struct LoginOptions {
  std::optional<std::string> api_key_file; ///< --api-key-file FILE: store a PAT or SAK instead of logging in
  std::optional<std::string> api_key;      ///< --api-key -: the same from stdin (never the key itself in argv)
  std::optional<std::string> key_kind;     ///< --key-kind pat|sak
  bool no_browser = false;
  std::string timeout = "5m";
  bool force = false;
  bool json = false;
  bool begin = false;                ///< two-step login, first half
  std::optional<std::string> finish; ///< two-step login, second half: "-", the address (or code) on stdin
  bool manual = false;               ///< both halves in one command, the address pasted on stdin
  bool if_needed = false;            ///< nothing at all when the credentials are usable (playbooks)
};

struct RefreshOptions {
  bool force = false;
  std::optional<std::string> if_older_than;
  std::optional<std::string> if_expires_within;
  bool use_config_client = false; ///< refresh as the config's client, and store it with the new pair
  bool json = false;
  bool all = false;                  ///< --all: every credential the store holds
  int jobs = 1;                      ///< --jobs: how many at once, with --all
  std::optional<std::string> jitter; ///< --jitter DUR: a random wait first, with --all
};

struct TokenOptions {
  std::string min_valid = "5m";
  bool header = false;
  bool no_cache = false; ///< ask the store, not the PostgreSQL store's access-token cache
  std::optional<std::string> rejected; ///< --rejected -: the token that got a 401, on stdin
};

struct StatusOptions {
  bool json = false;
  bool all = false; ///< --all: `list` with the next step per credential
};

/// `store ...`: the PostgreSQL store's own commands.
struct StoreOptions {
  std::string action; ///< init, key generate, key list, rekey, import, export, doctor, reconcile
  bool print_sql = false;
  bool print_key = false; ///< key generate --print
  std::optional<std::string> from; ///< import --from FILE
  std::optional<std::string> to;   ///< export --to FILE
  bool replace = false;
  bool keep = false;
};

struct ConfigOptions {
  std::string action; ///< show | path
  bool json = false;
};

struct ListOptions {
  bool json = false;
  bool names = false; ///< --names: the profiles the store and the config know, one per line
};

struct WhoamiOptions {
  bool json = false;
};

struct LogoutOptions {
  bool json = false;
};

/// `api`'s request, as the command line gave it.
struct ApiOptions {
  std::string endpoint;
  std::optional<std::string> method;
  std::vector<std::string> query;                   ///< -q KEY=VALUE
  std::vector<std::pair<bool, std::string>> fields; ///< -f (false) and -F (true), in command-line order
  std::vector<std::string> headers;                 ///< -H 'Name: value'
  std::optional<std::string> input;                 ///< --input FILE or -
  std::optional<std::string> upload;                ///< --upload FILE
  bool paginate = false;
  bool items = false;
  std::optional<long long> max_pages;
  std::optional<long long> max_items;
  bool include = false;
  bool silent = false;
  bool envelope = false;
  bool dry_run = false;
  std::optional<std::string> output;
  int retry = 3;
  bool retry_unsafe = false;
  std::string min_valid = "5m";
};

struct EmulatorOptions {
  int port = 9876;
  std::string client_id = "keap-emulator-client";
  std::string app = "ab123";
  std::string access_ttl = "24h";
  std::string refresh_ttl = "45d";
  bool auto_approve = false;
  bool enforce_pkce = false;
  bool legacy_errors = false;
  std::string write_config;
  std::optional<std::string> fault;          ///< a named fault of the token endpoint
  std::optional<std::string> userinfo_fault; ///< a named fault of the userinfo endpoint
  bool tls = false;                          ///< serve HTTPS with the stored self-signed certificate
  int contacts = 100;                        ///< seeded REST API contacts
  long long quota_per_day = 150000;
  long long throttle_per_minute = 1500;
  std::vector<std::string> api_faults;   ///< NAME[:COUNT] for the next API calls
  std::vector<std::string> api_switches; ///< where Keap's behaviour is unknown: which way to play it
  std::string retry_after;               ///< a Retry-After on API 429s
  bool log_requests = false;             ///< each request on stderr: what Keap would have seen
};

/// True when the chosen command was asked for --json (so an error is reported as JSON on stdout too).
struct CommandLine;
bool wants_json(const CommandLine& line);

/// Everything the command line said: which command, and the options of each.
struct CommandLine {
  std::string command;
  std::string program = "keap-auth"; ///< argv[0], for commands that print a command line (api --dry-run)
  GlobalOptions global;
  LoginOptions login;
  RefreshOptions refresh;
  TokenOptions token;
  StatusOptions status;
  ListOptions list;
  StoreOptions store;
  ConfigOptions config;
  WhoamiOptions whoami;
  LogoutOptions logout;
  ApiOptions api;
  EmulatorOptions emulator;
};

inline bool wants_json(const CommandLine& line) {
  return (line.command == "login" && line.login.json) || (line.command == "refresh" && line.refresh.json) ||
         (line.command == "status" && line.status.json) || (line.command == "whoami" && line.whoami.json) ||
         (line.command == "list" && line.list.json) || (line.command == "api" && line.api.envelope) ||
         (line.command == "config" && line.config.json) || (line.command == "logout" && line.logout.json);
}

} // namespace keap::cli
