#pragma once

/// keap-auth is two executables. The light one (`keap-auth`: config and credentials files, linked only to
/// libc, with libstdc++ inside) answers `token` when the stored token is valid; for everything else
/// (every other command, --help, --version, usage errors) it execs the full program (`keap-auth-full`:
/// the command line, OpenSSL, Boost.Asio, libpq, every command), which replaces it in the same process.
/// exec, not dlopen: a light program with its own C++ runtime must never load a module linked to the
/// shared one, and loading OpenSSL and libpq costs several times a whole `cat`.
namespace keap::light {

/// Replaces this process with the full program, argv unchanged. Returns only when it cannot be
/// started: 1, after an error naming every path looked at.
int run_full_program(int argc, char** argv);

} // namespace keap::light
