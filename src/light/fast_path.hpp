#pragma once

#include <optional>
#include <string>
#include <vector>

/// `keap-auth token` runs before every API request of scripts and services, so its common case (the
/// stored access token is still valid) must cost no more than `cat` of the same file. The light
/// executable answers it here: argv is read by a small parser that knows only `token` and the global
/// options, and anything it does not know goes to the full program, which parses and handles it (and
/// every error) properly.
namespace keap::light {

/// Prints the stored access token and returns 0 when argv is a `token` command this parser knows and
/// the token is valid for --min-valid; nothing, having printed nothing, in every other case (no file,
/// an expiring token, a warning to give, an unknown flag). Takes no lock and opens no socket.
std::optional<int> try_fast_path(int argc, char** argv);

/// The flags the fast path understands (for the test that keeps it in step with the real parser).
std::vector<std::string> fast_path_flags();

} // namespace keap::light
