# Warnings for our own code only (third-party headers are included as system headers).
add_library(keap_warnings INTERFACE)
target_compile_options(keap_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(KEAP_AUTH_WERROR)
  target_compile_options(keap_warnings INTERFACE -Werror)
endif()
