#pragma once

#include "error.hpp"

#include <atomic>
#include <string>

/// The only place that prints. Human text goes to stderr with a "keap-auth:" prefix; machine output
/// (--json, tokens) goes to stdout through print_stdout().
namespace keap::cli {

void say(const std::string& message);
void warn(const std::string& message);
void print_error(const Error& error);
void print_stdout(const std::string& text);

/// Installs SIGINT/SIGTERM handlers once and returns the flag they set, so long waits can end
/// cleanly (destructors run, nothing half-written) instead of the process dying mid-way.
const std::atomic<bool>& interrupt_flag();

} // namespace keap::cli
