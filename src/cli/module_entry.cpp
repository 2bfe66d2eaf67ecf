#include "cli/app.hpp"
#include "cli/network_module.hpp"

/// The entry point the light executable looks up with dlsym.
extern "C" __attribute__((visibility("default"))) int keap_auth_run(int argc, char** argv) {
  return keap::cli::run(argc, argv);
}
