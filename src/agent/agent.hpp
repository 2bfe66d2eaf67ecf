#pragma once

#include "agent/settings.hpp"
#include "cli/command.hpp"

/// `keap-auth agent`: a long-running process that keeps every served credential fresh and hands tokens
/// out over local HTTP (Unix sockets, loopback TCP) and through files.
namespace keap::agent {

/// Runs in the foreground until SIGTERM or SIGINT (exit 0 after draining); SIGHUP reloads the config.
/// Error (exit 2) for settings that cannot be used, before anything listens.
int run(const cli::GlobalOptions& global, const Flags& flags);

} // namespace keap::agent
