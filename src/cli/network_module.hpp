#pragma once

/// keap-auth's full program lives in a module (keap-auth-full.so) beside the executable, loaded
/// only when the fast path cannot answer. Loading OpenSSL, cpp-httplib, zlib and brotli costs
/// several times a whole `cat`; the hot path never pays it.
namespace keap::cli {

/// Loads the module and runs the full program. Returns its exit code, or 1 with a message when the
/// module cannot be found or loaded.
int run_full_program(int argc, char** argv);

/// The module's entry point's name (extern "C").
inline constexpr const char* k_module_entry = "keap_auth_run";

} // namespace keap::cli
