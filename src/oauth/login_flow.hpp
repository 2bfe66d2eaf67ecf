#pragma once

#include "core/config.hpp"
#include "core/credential.hpp"
#include "net/http_client.hpp"
#include "net/retry_policy.hpp"
#include "store/credential_store.hpp"

#include <optional>
#include <string>
#include <vector>

/// What every login mode shares once it holds a code: the exchange, the checks against what is stored,
/// and the commit. Returns data; cli/ prints.
namespace keap::oauth {

/// What a login acts on.
struct LoginContext {
  const Config& config;
  store::CredentialStore& store;
  std::string profile;
  net::HttpClient& http;
  net::RetryPolicy retry;
  util::EnvironmentLookup environment;
  bool force = false;
  /// `--profile app`: the profile is named after the Keap app the login grants (known only then).
  bool profile_from_app = false;
};

/// The profile name that asks for the granted app's name, in `login --profile app`.
inline constexpr const char* k_app_profile = "app";

/// Everything checked before a browser opens: the client credentials are set, the store can take the
/// result (creating at most the last folder level), and an existing credential of another client_id is
/// replaced only with force. Returns notices for the person (a folder was created, a damaged or newer
/// file is in the way, ...). Throws Error (exit 2) when the login must not start.
std::vector<std::string> prepare_login(const LoginContext& context);

struct LoginResult {
  OAuthGrant grant;
  std::string profile;              ///< where it was saved (the app's name for --profile app)
  std::string location;             ///< the store's local path for it (the file, for the file store)
  std::string saved_to;             ///< store.describe(profile) and how it is protected
  std::vector<std::string> notices; ///< what the person should know: a replaced or set-aside credential
  bool interrupted = false;         ///< SIGINT/SIGTERM came while the code was being exchanged and saved
};

/// Exchanges the code, then under the profile's lock (so a refresh in flight can neither overwrite the
/// new grant nor be overwritten half-way) re-reads what is stored, refuses to replace another client's
/// or another Keap app's credential without force, and refuses, even with force, a grant of the same
/// client and Keap app that another profile already holds (the first refresh of one could end the
/// other: refresh tokens rotate). A refused grant is kept aside (0600, named in the Error). Then it
/// commits; a commit that fails is rescued. Signals wait from the exchange to the commit.
LoginResult complete_login(const LoginContext& context, const std::string& code, const std::string& redirect_uri,
                           const std::string& code_verifier);

} // namespace keap::oauth
