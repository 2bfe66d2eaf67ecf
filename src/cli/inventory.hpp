#pragma once

#include "cli/context.hpp"
#include "core/expiry.hpp"

#include <optional>
#include <string>
#include <vector>

/// Every credential the store holds, assessed: what `list`, `status --all` and `refresh --all` go
/// through. No secret leaves here except inside `credential`, which the printers never print.
namespace keap::cli {

struct Entry {
  std::string profile;
  std::string location;                 ///< the credentials file, absolute
  std::optional<Credential> credential; ///< nothing when there is none, or it is damaged
  std::optional<std::string> problem;   ///< why it could not be read
  Health health = Health::login_needed;
  std::chrono::seconds lifetime{}; ///< the profile's refresh_token_lifetime
  std::string next_step;
};

/// Each profile's configuration: its own values for a profile the config names, the top level's
/// otherwise (computed once: for_profile would give the same, a thousand times slower).
class ProfileConfigs {
public:
  explicit ProfileConfigs(const Context& context)
      : m_context(context), m_configured(context.source->configured_profiles()) {}
  /// The values for `profile`; its credentials file is the store's business, not these values'.
  Config of(const std::string& profile);

private:
  const Context& m_context;
  std::vector<std::string> m_configured;
  std::optional<Config> m_shared;
};

/// One entry per profile the store holds (or the config names), by name.
std::vector<Entry> take_inventory(const Context& context, util::TimePoint now);

/// What to do next about a grant, in order of urgency, with the commands for `profile`.
std::string next_step_for(const OAuthGrant& grant, const std::string& profile, std::chrono::seconds lifetime,
                          util::TimePoint now);

/// Prints the inventory (a table, or --json) on stdout; returns 0 when every credential is usable, 4
/// when any needs a login (or there is none at all).
int print_inventory(const Context& context, const std::vector<Entry>& entries, bool json, bool next_steps);

/// `keap-auth COMMAND` with --profile PROFILE when it is not the default one.
std::string command_for(const std::string& command, const std::string& profile);

} // namespace keap::cli
