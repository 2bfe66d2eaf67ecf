#pragma once

#include "cli/command.hpp"

#include <optional>
#include <string>

namespace CLI {
class App;
}

/// keap-auth's command line, built from the command table: the global options, then each command's.
namespace keap::cli {

/// Declares the whole command line on `app`; what is parsed goes to `global` and to the commands.
void define_command_line(CLI::App& app, const CommandTable& commands, GlobalOptions& global);

/// What parsing argv decided: a command to run, or an exit code when parsing was the whole job
/// (--help, --version: 0, after printing) or failed (2, after a `keap-auth: error:` line naming the
/// command or flag and a hint with the nearest known one).
struct Parsed {
  const Command* command = nullptr;
  std::optional<int> exit_code;
};
Parsed parse_command_line(int argc, char** argv, const CommandTable& commands, GlobalOptions& global);

} // namespace keap::cli
