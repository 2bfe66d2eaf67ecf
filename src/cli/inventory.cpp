#include "cli/inventory.hpp"

#include "util/duration.hpp"
#include "util/posix_file.hpp"

#include <algorithm>

namespace keap::cli {

std::string command_for(const std::string& command, const std::string& profile) {
  return "keap-auth " + command + (profile == k_default_profile ? "" : " --profile " + profile);
}

std::string next_step_for(const OAuthGrant& grant, const std::string& profile, std::chrono::seconds lifetime,
                          util::TimePoint now) {
  auto dies = refresh_token_expected_expiry(grant, lifetime);
  const auto& failure = grant.last_refresh_failure;
  auto login = "run `" + command_for("login", profile) + "`";
  if (failure && failure->kind == "rejected") {
    return "the refresh token was rejected at " + util::format_rfc3339(failure->at) + ": " + login;
  }
  if (now >= dies) {
    return "the refresh token is past its expected life: " + login;
  }
  if (refresh_token_age(grant, now) >= refresh_soon_age(lifetime)) {
    return "refresh soon, before " + util::format_rfc3339(dies) + ": run `" + command_for("refresh", profile) + "`";
  }
  if (failure) {
    return "the last refresh failed at " + util::format_rfc3339(failure->at) + " (" + failure->kind +
           "); the next one tries again";
  }
  if (access_token_expires_within(grant, std::chrono::seconds(0), now)) {
    return "the access token has expired; `" + command_for("token", profile) + "` (or `" +
           command_for("refresh", profile) + "`) gets a new one";
  }
  return "nothing now; schedule `keap-auth refresh --all --if-older-than " +
         util::format_duration(refresh_soon_age(lifetime)) + "` daily to keep it alive";
}

Config ProfileConfigs::of(const std::string& profile) {
  if (profile == m_context.config.profile) {
    return m_context.config;
  }
  if (std::find(m_configured.begin(), m_configured.end(), profile) != m_configured.end()) {
    return m_context.source->for_profile(profile);
  }
  // Every profile the config does not name has the top level's values: compute them once.
  if (!m_shared) {
    m_shared = m_context.source->for_profile(profile);
  }
  Config config = *m_shared;
  config.profile = profile;
  return config;
}

namespace {

Entry assess(const Context& context, ProfileConfigs& configs, const std::string& profile, util::TimePoint now) {
  Entry entry;
  entry.profile = profile;
  entry.location = context.store->location(profile);
  entry.lifetime = configs.of(profile).refresh_token_lifetime;
  try {
    if (auto loaded = context.store->inspect(profile)) {
      entry.credential = loaded->credential;
    }
  } catch (const Error& error) {
    entry.problem = error.what();
    entry.health = Health::damaged;
    entry.next_step = "it cannot be read as credentials: run `" + command_for("login", profile) + "` to replace it";
    return entry;
  }
  if (!entry.credential) {
    entry.next_step = "no credentials yet: run `" + command_for("login", profile) + "`";
    return entry;
  }
  if (const auto* grant = std::get_if<OAuthGrant>(&*entry.credential)) {
    entry.health = grant_health(*grant, entry.lifetime, now);
    entry.next_step = next_step_for(*grant, profile, entry.lifetime, now);
  } else {
    entry.health = Health::ok;
    entry.next_step = "nothing: a key does not expire";
  }
  return entry;
}

} // namespace

std::vector<Entry> take_inventory(const Context& context, util::TimePoint now) {
  std::vector<Entry> entries;
  ProfileConfigs configs(context);
  for (const auto& profile : context.store->profiles()) {
    entries.push_back(assess(context, configs, profile, now));
  }
  return entries;
}

} // namespace keap::cli
