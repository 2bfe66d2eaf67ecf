#pragma once

#include "core/token_auth.hpp"
#include "util/timestamp.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace keap {

using util::TimePoint;

/// The last refresh that failed, recorded with the credential so `status` can say what happened.
/// Never holds a secret: the message is keap-auth's own, which never does.
struct RefreshFailure {
  TimePoint at;
  std::string kind;    ///< "rejected" (a login is needed), "unavailable" (try again later) or "failed"
  std::string message; ///< what the failing command said
};

/// An OAuth grant: the token pair and everything a later refresh needs, like gcloud's authorized_user
/// file. The token_auth it was obtained with is recorded, so a refresh never uses another style.
struct OAuthGrant {
  std::string token_type;
  std::string access_token;
  std::string refresh_token;
  std::string scope;
  std::optional<std::string> app; ///< "ab123" from "full|ab123.infusionsoft.com"; none when absent
  TimePoint expires_at;
  TimePoint obtained_at;
  TimePoint refresh_token_obtained_at;
  std::string client_id;
  std::string client_secret; ///< empty when store_client_secret was false at login
  std::string token_url;
  TokenAuth token_auth = TokenAuth::keap;
  std::optional<RefreshFailure> last_refresh_failure; ///< cleared by the next successful refresh
};

/// Which kind of static key Keap issued (both start with "KeapAK").
enum class KeyKind { unknown, personal_access_token, service_account_key };

/// A Personal Access Token or a Service Account Key: sent as X-Keap-API-Key, never refreshed.
struct ApiKey {
  std::string key;
  KeyKind kind = KeyKind::unknown;
  TimePoint obtained_at;
  /// The API origin it was stored for, when that is not Keap's own (the emulator's, say): where it may
  /// be sent besides Keap (core/destinations.hpp). Empty: Keap's only.
  std::string origin;
};

/// What a credential store holds for one profile.
using Credential = std::variant<OAuthGrant, ApiKey>;

/// The credentials file format this keap-auth writes. Version 1 (OAuth grants only, no "kind") is read
/// too; it is written as version 2 on its next save. Version 2 keeps every version 1 field where it was,
/// so services that read `access_token` from the file keep working.
inline constexpr int k_credentials_version = 2;

/// The Keap app a scope names: the part after '|' with ".infusionsoft.com" dropped. Pure.
std::optional<std::string> app_from_scope(std::string_view scope);

/// How messages name an app: "ab123", or "(not named by the server)".
std::string display_app(const std::optional<std::string>& app);

/// "pat", "sak" or "unknown", as the file and --key-kind spell it.
std::string key_kind_name(KeyKind kind);

/// The file's JSON text (pretty, ends with a newline), in the current version.
std::string serialize_credential(const Credential& credential);

/// Parses a credentials file of version 1 or 2. Throws Error naming `origin` and the field: exit 4 for a
/// damaged file (a login replaces it), exit 1 for one of a newer version (a newer keap-auth reads it). Pure.
Credential parse_credential(std::string_view text, const std::string& origin);

/// The HTTP header that carries `credential` to Keap: ("Authorization", "Bearer TOKEN") for an OAuth
/// grant, ("X-Keap-API-Key", KEY) for a key. Keap takes nothing else, and never both.
std::pair<std::string, std::string> credential_header(const Credential& credential);

/// "a Personal Access Token", "a Service Account Key" or "an API key", for messages.
std::string describe_key_kind(KeyKind kind);

/// The grant inside `credential`, or Error (exit 2) saying that `action` needs an OAuth grant.
const OAuthGrant& as_grant(const Credential& credential, const std::string& action);

} // namespace keap
