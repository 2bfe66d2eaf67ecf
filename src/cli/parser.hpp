#pragma once

#include "cli/commands.hpp"

#include <string>

namespace CLI {
class App;
}

namespace keap::cli {

/// Declares keap-auth's whole command line on `app`, storing what is parsed into `command_line`.
/// Used by the full program and, silently, by the fast path, so both read argv the same way.
void define_command_line(CLI::App& app, CommandLine& command_line);

/// The subcommand chosen, after a successful parse.
std::string parsed_command(const CLI::App& app);

} // namespace keap::cli
