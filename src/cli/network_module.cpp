#include "cli/network_module.hpp"

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include <dlfcn.h>

namespace keap::cli {

namespace {

/// Where an installed or built keap-auth keeps its module, relative to the executable.
const char* const k_module_places[] = {"keap-auth-full.so", "../lib/keap-auth/keap-auth-full.so"};

} // namespace

int run_full_program(int argc, char** argv) {
  std::error_code error;
  auto folder = std::filesystem::read_symlink("/proc/self/exe", error).parent_path();
  std::string tried;
  for (const char* place : k_module_places) {
    auto path = (folder / place).lexically_normal();
    if (!std::filesystem::exists(path, error)) {
      tried += (tried.empty() ? "" : ", ") + path.string();
      continue;
    }
    void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) {
      std::fprintf(stderr, "keap-auth: error: cannot load %s: %s\n", path.c_str(), ::dlerror());
      return 1;
    }
    auto entry = reinterpret_cast<int (*)(int, char**)>(::dlsym(module, k_module_entry));
    if (entry == nullptr) {
      std::fprintf(stderr, "keap-auth: error: %s has no %s; reinstall keap-auth\n", path.c_str(), k_module_entry);
      return 1;
    }
    return entry(argc, argv); // the module stays loaded until exit, as its threads and statics need
  }
  std::fprintf(stderr, "keap-auth: error: keap-auth-full.so not found (looked for %s)\n"
                       "keap-auth: hint: install it beside the keap-auth executable (cmake --install)\n",
               tried.c_str());
  return 1;
}

} // namespace keap::cli
