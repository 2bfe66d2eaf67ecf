#pragma once

#include "util/timestamp.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace keap::oauth {

/// The first half of a two-step login (`login --begin`), kept until `--finish` completes it: the
/// state that binds the browser's answer to it and the PKCE verifier that binds the code to it.
struct PendingLogin {
  static constexpr int k_version = 1;
  std::string state;
  std::string code_verifier; ///< empty when PKCE is off
  std::string redirect_uri;
  std::string client_id;
  util::TimePoint created_at;
};

/// The suffix of its file beside the credentials: CREDENTIALS.pending.
inline constexpr const char* k_pending_suffix = ".pending";

std::string serialize_pending(const PendingLogin& pending);

/// Parses a pending-login file. Throws Error (exit 2) naming `origin` when it is damaged. Pure.
PendingLogin parse_pending(std::string_view text, const std::string& origin);

/// Writes it atomically, 0600 (it holds the PKCE verifier). Throws Error naming the file.
void save_pending(const std::string& path, const PendingLogin& pending);

/// Nothing when there is none.
std::optional<PendingLogin> load_pending(const std::string& path);

void remove_pending(const std::string& path);

} // namespace keap::oauth
