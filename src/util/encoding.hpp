#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Byte encodings: base64 (RFC 4648 section 4, as HTTP Basic and Keap's file uploads use), base64url
/// without padding (section 5, as PKCE and state use) and hex. Pure.
namespace keap::util {

std::string base64(std::string_view bytes);
std::string base64url(std::string_view bytes);

/// Decodes standard base64 with padding; nothing when the text is not exactly that.
std::optional<std::string> base64_decode(std::string_view text);

/// Upper-case hex, with `separator` between bytes when it is not '\0' ("AB:CD", as browsers show
/// certificate fingerprints).
std::string hex(std::string_view bytes, char separator = '\0');

/// Hex of either case without separators back to bytes; nothing for anything else.
std::optional<std::string> hex_decode(std::string_view text);

} // namespace keap::util
