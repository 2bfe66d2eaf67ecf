#pragma once

/// Deterministic crash points for the crash-safety tests: in a build with KEAP_AUTH_TEST_HOOKS, a
/// process whose environment says KEAP_AUTH_TEST_CRASH_AT=NAME kills itself with SIGKILL at the point
/// called NAME, so a test can prove what a crash at exactly that step leaves behind. In every other
/// build this is nothing at all.
namespace keap::util {

#ifdef KEAP_AUTH_TEST_HOOKS
void crash_point(const char* name);
#else
inline void crash_point(const char*) {}
#endif

} // namespace keap::util
