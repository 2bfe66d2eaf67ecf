#include "cli/app.hpp"

/// The full program, which the light executable execs for everything but the token hot path.
int main(int argc, char** argv) { return keap::cli::run(argc, argv); }
