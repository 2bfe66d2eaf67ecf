# Warnings for our own code only (third-party headers are included as system headers). They are
# errors only where KEAP_AUTH_WERROR says so: in our CI and scripts, never by default, so a packager's
# compiler with a new false positive still builds.
add_library(keap_warnings INTERFACE)
target_compile_options(keap_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(KEAP_AUTH_WERROR)
  target_compile_options(keap_warnings INTERFACE -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 warns "-Wrestrict" on `"literal" + std::string` once inlined at -O2 and above: a known false
  # positive (GCC bug 105651, fixed in 13).
  target_compile_options(keap_warnings INTERFACE -Wno-restrict)
endif()
if(KEAP_AUTH_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false "maybe uninitialized" warnings inside <regex> and <functional> once ASan
  # instruments them (GCC bug 105562 and relatives); the sanitizers check the real thing at run time.
  target_compile_options(keap_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
