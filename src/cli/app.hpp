#pragma once

#include "cli/command.hpp"

namespace keap::cli {

/// The full program: parses the command line against `commands`, runs the chosen one and maps every
/// outcome to an exit code: usage errors → 2, keap::Error → its code, anything unexpected → 1 with a
/// message. The one catch.
int run(int argc, char** argv, const CommandTable& commands);

} // namespace keap::cli
