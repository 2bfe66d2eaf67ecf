#pragma once

#include "core/credential.hpp"
#include "store/credential_store.hpp"
#include "util/environment.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace keap::api {

/// Keap's keys (Personal Access Tokens and Service Account Keys) begin with this; older "legacy" keys
/// do not, and Keap is retiring those.
inline constexpr std::string_view k_key_prefix = "KeapAK";

/// What storing a key needs.
struct KeyStoreContext {
  store::CredentialStore& store;
  std::string profile;
  std::chrono::milliseconds lock_timeout;
  util::EnvironmentLookup environment;
  bool force = false; ///< replace an OAuth grant (which is then kept aside, 0600)
};

/// Checks a key's text: Error (exit 2) for one that cannot be a key (blanks, control bytes, not UTF-8,
/// implausibly short or long). Returns warnings (a key without the KeapAK prefix). Pure.
std::vector<std::string> check_key(const std::string& key);

/// Stores `key` as the profile's credential under its lock. An OAuth grant already there is replaced
/// only with force, and then kept aside in a rescue-style file first so nothing is lost; a damaged
/// credential is set aside. Returns notices for the person.
std::vector<std::string> store_key(const KeyStoreContext& context, const ApiKey& key);

} // namespace keap::api
