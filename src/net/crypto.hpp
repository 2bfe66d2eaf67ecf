#pragma once

#include <string>
#include <string_view>

/// The few cryptographic primitives keap-auth needs, from OpenSSL.
namespace keap::net {

/// `bytes` bytes from OpenSSL's CSPRNG, base64url-encoded without padding. Throws Error if the
/// generator fails (it never silently falls back to anything weaker).
std::string random_url_safe(size_t bytes);

/// SHA-256 of `data`, as raw bytes.
std::string sha256(std::string_view data);

/// Constant-time comparison, so a forged secret cannot be guessed byte by byte from timing.
bool same_secret(std::string_view left, std::string_view right);

} // namespace keap::net
