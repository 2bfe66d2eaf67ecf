#pragma once

#include "cli/command_line.hpp"
#include "net/http_client.hpp"
#include "oauth/refresh.hpp"
#include "store/credential_store.hpp"

#include <memory>
#include <string>

/// One file per command: its run_ function does the work after parsing and returns the exit code or
/// throws keap::Error. Their flags are declared in parser.cpp, their dispatch in app.cpp.
namespace keap::cli {

int run_login(const CommandLine& line);
int run_refresh(const CommandLine& line);
int run_token(const CommandLine& line);
int run_status(const CommandLine& line);
int run_whoami(const CommandLine& line);
int run_emulator(const CommandLine& line);

/// What every command that touches credentials builds from the command line: the configuration, the
/// store and the profile in it, one HTTP client, and the environment.
struct Context {
  Config config;
  std::unique_ptr<store::CredentialStore> store;
  std::string profile;
  std::unique_ptr<net::HttpClient> http;
  util::EnvironmentLookup environment;

  oauth::RefreshSettings refresh_settings() const;
  net::RetryPolicy retry_policy() const;
  /// Prints each warning of a read (loose permissions, say).
  void warn_all(const std::vector<std::string>& warnings) const;
};

Context open_context(const GlobalOptions& global);

} // namespace keap::cli
