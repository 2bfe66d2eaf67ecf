#pragma once

#include "cli/commands.hpp"
#include "oauth/login_flow.hpp"

/// What the login modes share: interactive (login.cpp), two-step (login_two_step.cpp) and keys
/// (login_key.cpp).
namespace keap::cli {

/// The flow's view of a command's context.
oauth::LoginContext login_context(Context& context, const LoginOptions& options);

/// Runs the checks made before anything starts and prints their notices.
void prepare(const oauth::LoginContext& flow);

/// Prints how the login ended: the summary on stderr, --json on stdout. Returns the exit code (130 when
/// a signal came while the code was being exchanged and saved).
int report_login(const oauth::LoginResult& result, const LoginOptions& options);

int run_login_begin(Context& context, const LoginOptions& options);
int run_login_finish(Context& context, const LoginOptions& options);
int run_login_manual(Context& context, const LoginOptions& options);
int run_key_login(Context& context, const LoginOptions& options);

} // namespace keap::cli
