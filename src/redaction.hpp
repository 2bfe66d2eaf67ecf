#pragma once

#include <string>
#include <string_view>

namespace keap {

/// For --verbose: what an HTTP exchange carried, with every secret replaced by "[redacted]" (client
/// secret, codes, tokens, PKCE verifier, state). Pure.

/// A query string or form body; parameters with secret names keep their name, lose their value.
std::string redact_form(std::string_view form);

/// A response body: a JSON object with secret members' values replaced, or just its size.
std::string redact_body(std::string_view body);

/// An Authorization header: the scheme, never the credentials.
std::string redact_authorization(std::string_view header);

} // namespace keap
