#pragma once

#include <string>
#include <string_view>

/// For --verbose: what an HTTP exchange carried, with every secret replaced by "[redacted]" (client
/// secret, codes, tokens, keys, PKCE verifier, state). Pure.
namespace keap {

/// True for the parameter and member names that carry secrets, whatever their case and separators:
/// code, state, code_verifier, assertion, api keys, and every name ending in token, secret or password
/// (accessToken, refresh-token, CLIENT_SECRET, sessionToken).
bool is_secret_name(std::string_view name);

/// A query string or form body; parameters with secret names keep their name, lose their value.
std::string redact_form(std::string_view form);

/// A body: a JSON document with every secret member replaced at any depth (inside arrays too), cut to
/// `limit` characters; anything else as its size.
std::string redact_body(std::string_view body, size_t limit = 400);

/// A header's value as it may be logged: Authorization keeps only its scheme; X-Keap-API-Key,
/// Cookie and Set-Cookie are redacted whole; others are shown.
std::string redact_header(std::string_view name, std::string_view value);

} // namespace keap
