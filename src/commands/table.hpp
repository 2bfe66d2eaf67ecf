#pragma once

#include "cli/command.hpp"

/// keap-auth's commands, one file each.
namespace keap::commands {

/// Every command, in the order --help lists them.
cli::CommandTable all();

} // namespace keap::commands
