// Boost's assertions, where they are on (BOOST_ENABLE_ASSERT_DEBUG_HANDLER without NDEBUG: a Debian
// package build, the sanitized build). They fail as assert() does, but for one known to be wrong.
#undef NDEBUG // for glibc's __assert_fail, declared only then; nothing here is an assert() of ours
#include <cassert>
#include <cstring>
#include <string>

namespace {

/// Beast 1.74 asserts `n >= 5` when a chunked body's last chunk arrives as "0\r\n" and then one more
/// byte: a legal split of a legal message (fixed upstream in boostorg/beast#2861, 2024). The code after
/// the assertion handles it, returning need_more, so that one assertion is let pass; with assertions on,
/// anyone could otherwise stop the agent or the receiver by writing a chunked body slowly.
bool known_wrong(const char* expression, const char* file) {
  const char* suffix = "beast/http/impl/basic_parser.ipp";
  auto file_size = std::strlen(file);
  auto suffix_size = std::strlen(suffix);
  return std::strcmp(expression, "n >= 5") == 0 && file_size >= suffix_size &&
         std::strcmp(file + file_size - suffix_size, suffix) == 0;
}

} // namespace

namespace boost {

void assertion_failed(const char* expression, const char* function, const char* file, long line) {
  if (known_wrong(expression, file)) {
    return;
  }
  __assert_fail(expression, file, static_cast<unsigned>(line), function); // as assert() would, and abort
}

void assertion_failed_msg(const char* expression, const char* message, const char* function, const char* file,
                          long line) {
  auto said = std::string(expression) + " (" + message + ")";
  __assert_fail(said.c_str(), file, static_cast<unsigned>(line), function);
}

} // namespace boost
