#pragma once

#include "emulator/faults.hpp"
#include "util/timestamp.hpp"
#include "util/url.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// keap-auth's built-in Keap look-alike. It shares no state with the client; it uses only util/, html/
/// and net/ (its HTTP server and certificate).
namespace keap::emulator {

using util::Parameters;
using util::TimePoint;

struct Settings {
  std::string client_id;
  std::string client_secret;
  std::string app = "ab123";
  std::chrono::seconds access_ttl{86400};
  std::chrono::seconds refresh_ttl{45 * 86400};
  std::chrono::seconds code_ttl{600};
  bool auto_approve = false;
  bool enforce_pkce = false;  ///< Keap most likely ignores PKCE; this proves the client sends it right
  bool legacy_errors = false; ///< the pre-2020 invalid_grant shape for a dead refresh token
  std::optional<Fault> token_fault;
  std::optional<Fault> userinfo_fault;
};

/// An HTTP answer from the emulator's logic: status, body and, for redirects, the Location.
struct Reply {
  int status = 200;
  std::string body;
  std::string location;
  std::string content_type = "application/json";
  std::string retry_after;
  std::chrono::milliseconds delay{0}; ///< how long the server waits before answering
  Delivery delivery = Delivery::whole;
};

/// What the token endpoint received, for tests to assert on.
struct TokenRequestRecord {
  std::string grant_type;
  std::string code;
  std::string refresh_token;
  std::string code_verifier;
  std::string authorization_scheme; ///< "Basic", "Bearer", ... or empty
  bool client_secret_in_body = false;
  std::string content_type;
  int status = 0;
  std::string issued_refresh_token; ///< the refresh token the answer carried, if it carried one
};

/// The parts of a /token request the logic needs.
struct TokenRequest {
  std::string content_type;
  std::string authorization; ///< the Authorization header, possibly empty
  std::string body;
};

/// "Basic base64(id:secret)" → (id, secret), form-decoded as RFC 6749 2.3.1 says. Pure.
std::optional<std::pair<std::string, std::string>> parse_basic_authorization(std::string_view header);

/// Codes, tokens, rotation and lifetimes: Keap's behaviour as keap-notes.md describes it. Thread-safe.
class State {
public:
  explicit State(Settings settings);

  const Settings& settings() const { return m_settings; }

  /// Why an authorize request cannot proceed (Keap shows an error page and does not redirect), or nothing.
  std::optional<std::string> authorize_problem(const Parameters& query) const;

  /// The redirect back to the client after the user allowed or denied (state echoed exactly).
  std::string decide(const Parameters& query, bool allow, TimePoint now);

  /// POST /token.
  Reply token(const TokenRequest& request, TimePoint now);

  /// A token pair issued without an authorization, as a grant would issue it (for tests and benchmarks
  /// that need valid tokens without playing the browser).
  Reply mint_tokens(TimePoint now);

  /// GET userinfo with `Authorization: Bearer ...`.
  Reply userinfo(std::string_view authorization, TimePoint now);

  /// Makes the token endpoint fail from now on (nothing: work again).
  void set_token_fault(std::optional<Fault> fault);
  void set_userinfo_fault(std::optional<Fault> fault);

  std::vector<TokenRequestRecord> token_requests() const;
  /// True when `refresh_token` would be accepted now.
  bool refresh_token_valid(const std::string& refresh_token, TimePoint now) const;
  /// True when `access_token` is one it issued and still valid at `now`.
  bool access_token_valid(const std::string& access_token, TimePoint now) const;
  /// Ends an access token's life now, as if 24 hours had passed (tests of expiry in the middle of work).
  void expire_access_token(const std::string& access_token);

private:
  struct Code {
    std::string client_id;
    std::string redirect_uri;
    std::string code_challenge;
    TimePoint expires_at;
  };
  Reply authorization_code_grant(const Parameters& form, bool client_authenticated, TimePoint now);
  Reply refresh_token_grant(const Parameters& form, bool client_authenticated, TimePoint now);
  Reply issue_tokens(TimePoint now);
  std::string granted_scope() const;
  Reply oauth_error(int status, const std::string& error, const std::string& description) const;
  static std::optional<Fault> take(std::optional<Fault>& fault);
  static Reply reply_for(const Fault& fault);

  Settings m_settings;
  mutable std::mutex m_mutex;
  std::map<std::string, Code> m_codes;
  std::map<std::string, TimePoint> m_access_tokens;
  std::map<std::string, TimePoint> m_refresh_tokens;
  std::vector<TokenRequestRecord> m_token_requests;
  std::optional<Fault> m_fault;
  std::optional<Fault> m_userinfo_fault;
};

} // namespace keap::emulator
