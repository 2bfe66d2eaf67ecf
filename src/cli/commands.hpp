#pragma once

#include "config.hpp"

#include <string>

namespace CLI {
class App;
}

/// One file per subcommand: each declares its options on the CLI::App, and its run_ function does
/// the work after parsing, returning the exit code or throwing keap::Error.
namespace keap::cli {

/// Options every subcommand accepts, before or after its name.
struct GlobalOptions {
  ConfigFlags config;
};

struct LoginOptions {
  bool no_browser = false;
  int timeout_seconds = 300;
  bool force = false;
  bool json = false;
};
void add_login(CLI::App& app, LoginOptions& options);
int run_login(const GlobalOptions& global, const LoginOptions& options);

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
};
void add_emulator(CLI::App& app, EmulatorOptions& options);
int run_emulator(const EmulatorOptions& options);

} // namespace keap::cli
