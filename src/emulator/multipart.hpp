#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace keap::emulator {

/// A multipart/form-data body's parts (RFC 7578): name → (filename, content).
using FormParts = std::map<std::string, std::pair<std::string, std::string>>;

/// The boundary of a `multipart/form-data; boundary=...` Content-Type, or nothing. Pure.
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// The parts of `body`; nothing when it is not a well-formed multipart body with that boundary (a
/// missing closing delimiter, a part without a name). Pure: the body is outside input.
std::optional<FormParts> parse_multipart(std::string_view body, std::string_view boundary);

} // namespace keap::emulator
