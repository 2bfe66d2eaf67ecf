#include "cli/launcher.hpp"

#include "cli/output.hpp"
#include "core/version.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

namespace keap::cli {

namespace {

std::string own_folder() {
  std::vector<char> buffer(4096);
  ssize_t length = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (length <= 0) {
    return ".";
  }
  std::string path(buffer.data(), static_cast<size_t>(length));
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

} // namespace

int run_full_program(int argc, char** argv) {
  (void)argc;
  auto folder = own_folder();
  // Where `cmake --install` puts it relative to the executable (GNUInstallDirs, computed at build time),
  // then beside it, as in a build tree.
  const std::string places[] = {folder + "/" + KEAP_AUTH_FULL_PROGRAM_RELATIVE, folder + "/keap-auth-full"};
  std::string tried;
  for (const auto& place : places) {
    if (::access(place.c_str(), X_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + place;
      continue;
    }
    ::setenv(k_expected_version_variable, version(), 1);
    ::execv(place.c_str(), argv);
    print_error(Error(ExitCode::failure, "cannot start " + place + ": " + std::strerror(errno), "reinstall keap-auth"));
    return static_cast<int>(ExitCode::failure);
  }
  print_error(Error(ExitCode::failure,
                    "this command needs keap-auth's full program, which is not installed (looked for " + tried + ")",
                    "install keap-auth-full where `cmake --install` puts it; `keap-auth token`, --help and "
                    "--version work without it"));
  return static_cast<int>(ExitCode::failure);
}

void check_launcher_version() {
  const char* expected = std::getenv(k_expected_version_variable);
  if (expected == nullptr) {
    return; // started directly (tests, or by hand)
  }
  std::string light(expected);
  ::unsetenv(k_expected_version_variable); // not for the browser or anything else we start
  if (light != version()) {
    throw Error(ExitCode::failure,
                "keap-auth " + light + " found keap-auth-full " + version() +
                    ": the two programs are from different "
                    "installations",
                "reinstall keap-auth so that both come from the same version");
  }
}

} // namespace keap::cli
