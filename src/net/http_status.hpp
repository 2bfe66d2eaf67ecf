#pragma once

#include "core/error.hpp"

#include <string>

namespace keap::net {

/// What an HTTP status means to keap-auth, the same for every endpoint (token, userinfo, the API).
enum class StatusClass {
  success,      ///< 2xx
  redirect,     ///< 3xx: never followed, since a redirect would carry credentials elsewhere
  unauthorized, ///< 401: the credential sent was refused
  forbidden,    ///< 403: the credential is fine but may not do this
  rate_limited, ///< 429: refused before it was processed
  client_error, ///< any other 4xx
  server_error, ///< 5xx
  unexpected,   ///< anything else
};

StatusClass classify_status(int status);

/// The exit code a failed answer of this class ends a command with, unless the endpoint knows better
/// (a refresh grant's 400 means a dead refresh token: exit 4): 401 → 4, 429 and 5xx → 5, other → 1.
ExitCode default_exit_code(StatusClass status_class);

/// "HTTP 503 (Service Unavailable)", for messages.
std::string describe_status(int status);

/// True when trying again later may help (429, 5xx): the hint to give.
bool worth_retrying_later(StatusClass status_class);

} // namespace keap::net
