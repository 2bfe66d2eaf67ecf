#pragma once

#include "cli/command_line.hpp"

#include <map>
#include <string>

namespace keap::cli {

/// Parses the command line, runs the chosen command and maps every outcome to an exit code: usage
/// errors → 2, keap::Error → its code, anything unexpected → 1 with a message. The one catch.
int run(int argc, char** argv);

/// What runs each command, by name: the dispatch table (a unit test proves it covers every command the
/// parser knows, and nothing else).
using Runner = int (*)(const CommandLine& line);
const std::map<std::string, Runner>& runners();

} // namespace keap::cli
