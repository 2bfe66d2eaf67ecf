#pragma once

#include "net/http_client.hpp"

#include <string>
#include <string_view>

/// What HTTP/1.1 allows on the wire (RFC 9110 5.1, 5.5), for every header keap-auth sends or answers
/// with: a value from a server, a file or a command line never smuggles a line break into a request.
namespace keap::net {

/// True for an RFC 9110 token (a method, a header name).
bool valid_token(std::string_view text);

/// True for a field value without control characters (horizontal tab allowed) or surrounding blanks.
bool valid_field_value(std::string_view text);

/// A header keap-auth may put on the wire: a token name and a valid value.
bool valid_header(std::string_view name, std::string_view value);

/// True for a request target that is one run of visible ASCII (no blank, no control byte).
bool valid_target(std::string_view target);

/// Header names compared as HTTP compares them: without regard to case.
bool same_token(std::string_view left, std::string_view right);

/// The first value of `name` in `headers`, or empty.
std::string header_value(const Headers& headers, std::string_view name);

} // namespace keap::net
