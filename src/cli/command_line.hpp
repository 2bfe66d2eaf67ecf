#pragma once

#include "core/config.hpp"

#include <optional>
#include <string>

/// Everything the command line can say, as plain data: parser.cpp fills it, the commands read it.
namespace keap::cli {

/// Options every command accepts, before or after its name.
struct GlobalOptions {
  ConfigFlags config;
  bool verbose = false; ///< every HTTP exchange, and what was not done
  bool quiet = false;   ///< errors only
};

struct LoginOptions {
  bool no_browser = false;
  std::string timeout = "5m";
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
  bool use_config_client = false; ///< refresh as the config's client, and store it with the new pair
  bool json = false;
};

struct TokenOptions {
  std::string min_valid = "5m";
  bool header = false;
};

struct StatusOptions {
  bool json = false;
};

struct WhoamiOptions {
  bool json = false;
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

/// True when the chosen command was asked for --json (so an error is reported as JSON on stdout too).
struct CommandLine;
bool wants_json(const CommandLine& line);

/// Everything the command line said: which command, and the options of each.
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

inline bool wants_json(const CommandLine& line) {
  return (line.command == "login" && line.login.json) || (line.command == "refresh" && line.refresh.json) ||
         (line.command == "status" && line.status.json) || (line.command == "whoami" && line.whoami.json);
}

} // namespace keap::cli
