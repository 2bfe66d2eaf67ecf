#pragma once

#include "cli/command_line.hpp"

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

/// keap-auth's command line: one table of commands, read the same way by the light executable (which
/// answers --help, --version and every usage error itself) and by the full program.
namespace keap::cli {

/// One command: its name, what it does, and the flags it adds to the command line.
struct CommandSpec {
  const char* name;
  const char* summary;
  void (*define)(CLI::App& command, CommandLine& line);
};

/// Every command, in the order --help lists them.
const std::vector<CommandSpec>& command_table();

/// Declares the whole command line on `app`, storing what is parsed into `line`.
void define_command_line(CLI::App& app, CommandLine& line);

/// Parses argv into `line`. Returns an exit code when parsing is the whole job (--help, --version: 0,
/// after printing) or failed (2, after a `keap-auth: error:` line naming the command or flag and a
/// hint with the nearest known one); nothing when a command is to run.
std::optional<int> parse_command_line(int argc, char** argv, CommandLine& line);

} // namespace keap::cli
