#include "util/crash_point.hpp"

#ifdef KEAP_AUTH_TEST_HOOKS

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace keap::util {

void crash_point(const char* name) {
  const char* wanted = std::getenv("KEAP_AUTH_TEST_CRASH_AT");
  if (wanted != nullptr && std::strcmp(wanted, name) == 0) {
    std::raise(SIGKILL);
  }
}

} // namespace keap::util

#endif
