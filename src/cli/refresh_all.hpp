#pragma once

#include "cli/commands.hpp"

namespace keap::cli {

/// `refresh --all`: every credential the store holds, `options.jobs` at a time, each under its own
/// lock; one line each and a summary on stderr, one object each and totals with --json. Returns the
/// most urgent exit code seen (4 before 5 before 1 before 2; 130 when interrupted).
int run_refresh_all(const Context& context, const RefreshOptions& options, const RefreshConditions& conditions);

} // namespace keap::cli
