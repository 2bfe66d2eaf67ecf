#pragma once

#include "core/config.hpp"
#include "core/credential.hpp"
#include "util/url.hpp"

#include <string>
#include <vector>

/// Where a credential may be sent. A credential goes only to the origins it was obtained for: its token
/// endpoint's (and Keap's API hosts with Keap's), or, for a key, the API origin it was stored for. Any
/// other origin (another loopback port included) must be vouched for: by default, the environment, the
/// command line, or a config file outside the working folder. A config file inside it (a cloned
/// repository's) vouches only for its own credentials, in the same folder: it cannot send the user's
/// real credentials, or the client secret from elsewhere, to a host of its choosing.
namespace keap {

/// Keap's own API origins (design/api.md): where a credential from Keap's token endpoint may go.
const std::vector<std::string>& keap_origins();

/// The origins `credential` was obtained for.
std::vector<std::string> own_origins(const Credential& credential);

/// True when what the config says for `key` (api_base_url, userinfo_url, token_url) is vouched for: it
/// is the default, or comes from the environment, a flag, or a config file outside the working folder.
bool vouched(const Config& config, const std::string& key);

/// Throws Error (exit 2) unless `credential`, kept at `credential_file` (a file path, or empty for a
/// database or the environment), may be sent to `url`, which the config's `key` names. The message
/// names the config file and the credential, and says how to opt in.
void check_destination(const Config& config, const std::string& key, const util::Url& url, const Credential& credential,
                       const std::string& credential_file);

/// Throws Error (exit 2) unless the client secret may be sent to the token endpoint the config names:
/// a working-folder config that sets token_url may use only a secret that it sets itself.
void check_secret_destination(const Config& config);

/// The origin a key is recorded with when it is stored: api_base_url's, when that is vouched for or
/// the key is stored beside its config; else none (Keap's own).
std::string key_origin(const Config& config, const std::string& credential_file);

} // namespace keap
