#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/parser.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <exception>

namespace keap::cli {

namespace {

int dispatch(const CommandLine& command_line) {
  const auto& name = command_line.command;
  if (name == "login") {
    return run_login(command_line.global, command_line.login);
  }
  if (name == "refresh") {
    return run_refresh(command_line.global, command_line.refresh);
  }
  if (name == "token") {
    return run_token(command_line.global, command_line.token);
  }
  if (name == "status") {
    return run_status(command_line.global, command_line.status);
  }
  if (name == "whoami") {
    return run_whoami(command_line.global, command_line.whoami);
  }
  return run_emulator(command_line.emulator);
}

} // namespace

int run(int argc, char** argv) {
  // A write past RLIMIT_FSIZE must fail with EFBIG (and be rescued), not kill us with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"keap-auth: get and keep OAuth2 tokens for Keap's REST API"};
  CommandLine command_line;
  define_command_line(app, command_line);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  command_line.command = parsed_command(app);

  try {
    return dispatch(command_line);
  } catch (const Error& error) {
    print_error(error);
    return static_cast<int>(error.code());
  } catch (const std::exception& error) {
    print_error(Error(ExitCode::failure, std::string("unexpected failure: ") + error.what(),
                      "please report this with the command you ran"));
    return static_cast<int>(ExitCode::failure);
  }
}

} // namespace keap::cli
