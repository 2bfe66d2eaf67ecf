#include "cli/app.hpp"
#include "commands/table.hpp"

/// The full program, which the light executable execs for everything but the token hot path.
int main(int argc, char** argv) { return keap::cli::run(argc, argv, keap::commands::all()); }
