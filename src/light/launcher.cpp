#include "light/launcher.hpp"

#include "core/version.hpp"
#include "term/output.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

namespace keap::light {

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
    term::print_error(
        Error(ExitCode::failure, "cannot start " + place + ": " + std::strerror(errno), "reinstall keap-auth"));
    return static_cast<int>(ExitCode::failure);
  }
  term::print_error(
      Error(ExitCode::failure,
            "this command needs keap-auth's full program, which is not installed (looked for " + tried + ")",
            "install keap-auth-full where `cmake --install` puts it; only `keap-auth token` with a valid "
            "stored token works without it"));
  return static_cast<int>(ExitCode::failure);
}

} // namespace keap::light
