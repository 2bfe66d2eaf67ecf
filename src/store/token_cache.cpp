#include "store/token_cache.hpp"

#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include <sys/stat.h>
#include <unistd.h>

namespace keap::store {

namespace {

/// FNV-1a, 64 bits: stable across builds and machines, unlike std::hash.
std::string digest(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (char c : text) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

} // namespace

std::string store_digest(const std::string& store_url) { return digest(store_url); }

std::string token_cache_path(const std::string& folder, const std::string& store_url, const std::string& profile) {
  return folder + "/" + digest(store_url) + "/" + profile + ".token";
}

std::optional<CachedToken> parse_token_cache(std::string_view text) {
  auto json = util::parse_json(text);
  auto token = util::string_member(json, "access_token");
  auto expires = util::parse_rfc3339(util::string_member(json, "expires_at").value_or(""));
  auto generation = json.is_object() && json.contains("generation") && json["generation"].is_number_integer()
                        ? json["generation"].get<long long>()
                        : -1;
  auto checked = util::parse_rfc3339(util::string_member(json, "checked_at").value_or(""));
  // It is printed as it is: a token with a control character in it is not one Keap issued.
  auto printable = token && std::all_of(token->begin(), token->end(), [](char c) { return c > ' ' && c != 0x7f; });
  if (!token || token->empty() || !printable || !expires || generation < 0 || !checked) {
    return std::nullopt;
  }
  return CachedToken{*token, *expires, generation, *checked};
}

bool fresh_enough(const CachedToken& token, std::chrono::seconds ttl, util::TimePoint now) {
  auto age = now - token.checked_at;
  return age.count() >= 0 && age < ttl;
}

std::optional<CachedToken> read_token_cache(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || (info.st_mode & 077) != 0 || info.st_uid != ::geteuid()) {
    return std::nullopt;
  }
  try {
    auto text = util::read_regular_file(path, 16 * 1024);
    return text ? parse_token_cache(*text) : std::nullopt;
  } catch (const util::FileError&) {
    return std::nullopt;
  }
}

void write_token_cache(const std::string& path, const CachedToken& token) {
  nlohmann::json json = {{"access_token", token.access_token},
                         {"expires_at", util::format_rfc3339(token.expires_at)},
                         {"generation", token.generation},
                         {"checked_at", util::format_rfc3339(token.checked_at)}};
  try {
    util::create_private_folders(util::folder_of(path));
    util::write_file_atomically(path, util::dump_json(json) + "\n");
  } catch (const util::FileError&) {
  }
}

void forget_token_cache(const std::string& path) { ::unlink(path.c_str()); }

} // namespace keap::store
