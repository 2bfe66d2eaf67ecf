#include "cli/app.hpp"

int main(int argc, char** argv) { return keap::cli::run(argc, argv); }
