#pragma once

#include "util/timestamp.hpp"

#include <optional>
#include <string>
#include <string_view>

/// The access-token-only cache of a shared store (design/store.md section 10): what lets the light
/// executable answer `token` without loading libpq. It holds an access token, its expiry and the
/// row's generation: never a refresh token, a client secret or a key.
namespace keap::store {

struct CachedToken {
  std::string access_token;
  util::TimePoint expires_at;
  long long generation = 0;
  util::TimePoint checked_at; ///< when the store last said this is its token (this machine's clock)
};

/// True when `token` may still be served without asking the store: it was confirmed less than `ttl`
/// ago (and not "in the future", which only a wrong clock says).
bool fresh_enough(const CachedToken& token, std::chrono::seconds ttl, util::TimePoint now);

/// A stable short name for a store (a digest of its URL, which is not itself written down).
std::string store_digest(const std::string& store_url);

/// FOLDER/STORE/PROFILE.token, STORE being store_digest (so two stores never share an
/// entry, and the URL itself is not written down).
std::string token_cache_path(const std::string& folder, const std::string& store_url, const std::string& profile);

/// The entry in a cache file's text, or nothing when it is not one. Pure.
std::optional<CachedToken> parse_token_cache(std::string_view text);

/// The entry, or nothing when it is missing, unreadable, readable by others, or not one.
std::optional<CachedToken> read_token_cache(const std::string& path);

/// Writes the entry atomically (0600, its folders 0700). Best effort: a cache that cannot be written
/// only costs the next `token` a trip to the store.
void write_token_cache(const std::string& path, const CachedToken& token);

/// Removes the entry, if any.
void forget_token_cache(const std::string& path);

} // namespace keap::store
