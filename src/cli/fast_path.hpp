#pragma once

#include "cli/commands.hpp"

#include <optional>

/// `keap-auth token` is called before every API request by scripts and services, so its common case
/// (the stored access token is still valid) must cost about as much as `cat`. It lives in the light
/// executable, which links neither OpenSSL nor cpp-httplib; everything else is in the module that
/// keap-auth loads only when it needs it (network_module.hpp).
namespace keap::cli {

/// The hot path: prints the stored access token and returns 0 when it is valid for --min-valid.
/// Returns nothing, having printed nothing, in every other case (no file, expiring token, a warning
/// to give, a bad flag), which the full program then handles. Takes no lock and opens no socket.
std::optional<int> run_token_hot_path(const GlobalOptions& global, const TokenOptions& options);

/// Parses argv quietly; runs the hot path when argv asks for `token`. Nothing means "not handled here".
std::optional<int> try_fast_path(int argc, char** argv);

} // namespace keap::cli
