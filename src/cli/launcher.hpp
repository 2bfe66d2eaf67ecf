#pragma once

/// keap-auth is two executables. The light one (`keap-auth`: the command line, config and credentials
/// files, linked only to libc, with libstdc++ inside) answers `token` when the stored token is valid, and
/// --help, --version and usage errors; for everything else it execs the full program
/// (`keap-auth-full`: OpenSSL, Boost.Asio, libpq, every command), which replaces it in the same process.
/// exec, not dlopen: a light program with its own C++ runtime must never load a module linked to the
/// shared one, and loading OpenSSL and libpq costs several times a whole `cat`.
namespace keap::cli {

/// Replaces this process with the full program, argv unchanged. Returns only when it cannot be
/// started: 1, after an error naming every path looked at.
int run_full_program(int argc, char** argv);

/// The environment variable through which the light program tells the full one which version it is,
/// so a stale full program left by another installation refuses to run with the wrong parser.
inline constexpr const char* k_expected_version_variable = "KEAP_AUTH_EXPECTED_VERSION";

/// In the full program: an Error when the light program that started it is of another version.
void check_launcher_version();

} // namespace keap::cli
