#pragma once

namespace keap::cli {

/// Parses the command line, runs the chosen subcommand and maps every outcome to an exit code:
/// usage errors → 2, keap::Error → its code, anything unexpected → 1 with a message.
int run(int argc, char** argv);

} // namespace keap::cli
