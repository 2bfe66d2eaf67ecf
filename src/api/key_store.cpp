#include "api/key_store.hpp"

#include "store/rescue.hpp"
#include "util/text.hpp"

#include <algorithm>

namespace keap::api {

std::vector<std::string> check_key(const std::string& key) {
  bool printable = !key.empty() && key.find_first_of(" \t\r\n") == std::string::npos &&
                   !util::invalid_utf8_offset(key) &&
                   std::none_of(key.begin(), key.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  const char* problem = !printable          ? "it holds blanks, control bytes or bytes that are not UTF-8"
                        : key.size() < 16   ? "it is too short"
                        : key.size() > 4096 ? "it is too long"
                                            : nullptr;
  if (problem != nullptr) {
    throw Error(ExitCode::usage, std::string("that is not an API key: ") + problem,
                "give the key alone, as Keap showed it when it was created");
  }
  if (!key.starts_with(k_key_prefix)) {
    return {"the key does not start with \"KeapAK\": it looks like a legacy API key, which Keap is retiring; create "
            "a Personal Access Token or a Service Account Key instead"};
  }
  return {};
}

std::vector<std::string> store_key(const KeyStoreContext& context, const ApiKey& key) {
  std::vector<std::string> notices;
  if (auto created = context.store.check_writable(context.profile)) {
    notices.push_back(*created);
  }
  auto transaction = context.store.lock(context.profile, context.lock_timeout);
  auto described = context.store.describe(context.profile);
  std::optional<store::StoredCredential> existing;
  try {
    existing = transaction->current();
  } catch (const Error& error) {
    if (error.code() != ExitCode::relogin) {
      throw; // a newer format: never downgraded
    }
    auto aside = transaction->set_aside_damaged();
    notices.push_back(std::string(error.what()) + "; replaced it" + (aside ? ", keeping it as " + *aside : ""));
  }
  if (existing) {
    if (const auto* grant = std::get_if<OAuthGrant>(&existing->credential)) {
      if (!context.force) {
        throw Error(ExitCode::usage,
                    described + " holds an OAuth grant (Keap app " + display_app(grant->app) +
                        "); the key was not stored",
                    "to replace the grant with the key, add --force (the grant is kept aside); to keep both, store "
                    "the key in another --credentials file");
      }
      auto [folder, stem] = context.store.rescue_location(context.profile);
      auto kept = store::write_rescue_file(store::rescue_folders(folder, context.environment), stem + ".replaced",
                                           serialize_credential(existing->credential));
      if (!kept) {
        throw Error(ExitCode::failure,
                    "the OAuth grant in " + described +
                        " could be kept aside nowhere, so it was "
                        "not replaced",
                    "free some space in the credentials folder or in /tmp, then try again");
      }
      notices.push_back("replaced the OAuth grant in " + described + "; it was kept (0600) in " + *kept +
                        " (to use it again, run `" + context.store.restore_command(*kept, context.profile) + "`)");
    } else {
      notices.push_back("replaced the API key in " + described);
    }
  }
  transaction->commit(key);
  return notices;
}

} // namespace keap::api
