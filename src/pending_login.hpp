#pragma once

#include "timestamp.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace keap {

/// The first half of a two-step login (`login --begin`), kept until `--finish` completes it: the
/// state that binds the browser's answer to it and the PKCE verifier that binds the code to it.
struct PendingLogin {
  static constexpr int k_version = 1;
  std::string state;
  std::string code_verifier; ///< empty when PKCE is off
  std::string redirect_uri;
  std::string client_id;
  TimePoint created_at;
};

/// Beside the credentials file: CREDENTIALS.pending.
std::string pending_path_for(const std::string& credentials_path);

std::string serialize_pending(const PendingLogin& pending);

/// Parses a pending-login file. Throws Error naming `origin` when it is damaged. Pure.
PendingLogin parse_pending(std::string_view text, const std::string& origin);

/// Writes it atomically, 0600 (it holds the PKCE verifier).
void save_pending(const std::string& path, const PendingLogin& pending);

/// Nothing when there is none.
std::optional<PendingLogin> load_pending(const std::string& path);

void remove_pending(const std::string& path);

} // namespace keap
