#pragma once

#include "cli/commands.hpp"
#include "credentials.hpp"
#include "pending_login.hpp"

#include <optional>
#include <string>

/// The pieces the login modes share: interactive (login.cpp) and two-step (login_two_step.cpp).
namespace keap::cli {

/// What every login mode starts from: the configuration (with client credentials) and the file it
/// may replace.
struct LoginContext {
  Config config;
  GlobalOptions global;
  std::optional<Credentials> existing;
};

/// Loads the configuration, requires the client credentials, and refuses (exit 2, before anything
/// starts) to replace a credentials file of another client_id without --force.
LoginContext prepare_login(const GlobalOptions& global, const LoginOptions& options);

/// Exchanges the code, refuses to replace another Keap app's file without --force, saves the
/// credentials and prints the summary. Throws a classified Error.
Credentials complete_login(const LoginContext& context, const LoginOptions& options, const std::string& code,
                           const std::string& redirect_uri, const std::string& code_verifier);

int run_login_begin(const LoginContext& context, const LoginOptions& options);
int run_login_finish(const LoginContext& context, const LoginOptions& options);
int run_login_manual(const LoginContext& context, const LoginOptions& options);

} // namespace keap::cli
