#pragma once

#include "config.hpp"
#include "refresh.hpp"

#include <chrono>
#include <optional>
#include <string>

/// One file per subcommand: its run_ function does the work after parsing and returns the exit code
/// or throws keap::Error. Every flag of every subcommand is declared in parser.cpp.
namespace keap::cli {

/// Options every subcommand accepts, before or after its name.
struct GlobalOptions {
  ConfigFlags config;
  bool verbose = false;
};

struct LoginOptions {
  bool no_browser = false;
  int timeout_seconds = 300;
  bool force = false;
  bool json = false;
  bool begin = false;                ///< two-step login, first half
  std::optional<std::string> finish; ///< two-step login, second half: address, code, or "-" for stdin
  bool manual = false;               ///< both halves in one command, the address pasted on stdin
};

struct RefreshOptions {
  bool force = false;
  std::optional<std::string> if_older_than;
  std::optional<std::string> if_expires_within;
  std::string lock_timeout = "60s";
};

struct TokenOptions {
  std::string min_valid = "5m";
  bool header = false;
  std::string lock_timeout = "60s";
};

struct StatusOptions {
  bool json = false;
};

struct WhoamiOptions {
  bool json = false;
  std::string lock_timeout = "60s";
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
};

/// Everything the command line said: which subcommand, and the options of each.
struct CommandLine {
  std::string command;
  GlobalOptions global;
  LoginOptions login;
  RefreshOptions refresh;
  TokenOptions token;
  StatusOptions status;
  WhoamiOptions whoami;
  EmulatorOptions emulator;
};

int run_login(const GlobalOptions& global, const LoginOptions& options);
int run_refresh(const GlobalOptions& global, const RefreshOptions& options);
int run_token(const GlobalOptions& global, const TokenOptions& options);
int run_status(const GlobalOptions& global, const StatusOptions& options);
int run_whoami(const GlobalOptions& global, const WhoamiOptions& options);
int run_emulator(const EmulatorOptions& options);

/// A duration flag's value; Error (exit 2) naming the flag and the accepted forms otherwise.
std::chrono::seconds duration_flag(const char* flag, const std::string& text);

/// The HTTP client settings from the config (extra CAs, timeouts).
HttpOptions http_options(const Config& config, const GlobalOptions& global);

/// How the refreshing commands refresh, from the config and --lock-timeout.
RefreshSettings refresh_settings(const Config& config, const GlobalOptions& global, const std::string& lock_timeout);

} // namespace keap::cli
