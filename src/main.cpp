#include "cli/fast_path.hpp"
#include "cli/network_module.hpp"

int main(int argc, char** argv) {
  if (auto code = keap::cli::try_fast_path(argc, argv)) {
    return *code;
  }
  return keap::cli::run_full_program(argc, argv);
}
