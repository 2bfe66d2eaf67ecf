#include "cli/inventory.hpp"

#include "term/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
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
    if (auto loaded = context.store->read_for_status(profile)) {
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

// Printing.

using Json = nlohmann::ordered_json;

std::string kind_of(const Entry& entry) {
  if (!entry.credential) {
    return "-";
  }
  if (const auto* key = std::get_if<ApiKey>(&*entry.credential)) {
    return key->kind == KeyKind::unknown ? "key" : key_kind_name(key->kind);
  }
  return "oauth";
}

/// The columns of one line: profile, kind, app, access token, refresh token, expected death, health.
std::vector<std::string> columns(const Entry& entry, util::TimePoint now) {
  std::vector<std::string> row{entry.profile, kind_of(entry), "-", "-", "-", "-", health_text(entry.health)};
  if (!entry.credential) {
    return row;
  }
  const auto* grant = std::get_if<OAuthGrant>(&*entry.credential);
  if (!grant) {
    row[3] = "never expires";
    return row;
  }
  row[2] = grant->app.value_or("?");
  auto left = grant->expires_at - now;
  row[3] = left.count() > 0 ? "expires " + util::format_relative(left) : "expired " + util::format_relative(left);
  auto age = refresh_token_age(*grant, now);
  row[4] = age.count() < 0 ? "in the future" : util::format_duration(age) + " old";
  row[5] = util::format_relative(refresh_token_expected_expiry(*grant, entry.lifetime) - now);
  return row;
}

std::string table(const std::vector<Entry>& entries, util::TimePoint now) {
  std::vector<std::vector<std::string>> rows{
      {"PROFILE", "KIND", "APP", "ACCESS TOKEN", "REFRESH TOKEN", "EXPECTED TO DIE", "HEALTH"}};
  for (const auto& entry : entries) {
    rows.push_back(columns(entry, now));
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : row[i] + std::string(widths[i] - row[i].size() + 2, ' ');
    }
    text += line + "\n";
  }
  return text;
}

Json entry_json(const Entry& entry, util::TimePoint now, bool next_steps) {
  const auto* grant = entry.credential ? std::get_if<OAuthGrant>(&*entry.credential) : nullptr;
  const auto* key = entry.credential ? std::get_if<ApiKey>(&*entry.credential) : nullptr;
  auto time = [&](auto pick) -> Json { return grant ? Json(util::format_rfc3339(pick(*grant))) : Json(nullptr); };
  auto age = grant ? refresh_token_age(*grant, now).count() : -1;
  Json out = {{"profile", entry.profile},
              {"credentials_file", entry.location},
              {"kind", grant ? Json("oauth_grant")
                       : key ? Json("api_key")
                             : Json(nullptr)},
              {"key_kind", key ? Json(key_kind_name(key->kind)) : Json(nullptr)},
              {"app", grant ? util::or_null<Json>(grant->app) : Json(nullptr)},
              {"client_id", grant ? Json(grant->client_id) : Json(nullptr)},
              {"access_token_expires_at", time([](const OAuthGrant& g) { return g.expires_at; })},
              {"refresh_token_obtained_at", time([](const OAuthGrant& g) { return g.refresh_token_obtained_at; })},
              {"refresh_token_age_seconds", age >= 0 ? Json(age) : Json(nullptr)},
              {"refresh_token_expected_expiry",
               time([&](const OAuthGrant& g) { return refresh_token_expected_expiry(g, entry.lifetime); })},
              {"health", health_code(entry.health)},
              {"problem", util::or_null<Json>(entry.problem)}};
  if (next_steps) {
    out["next_step"] = entry.next_step;
  }
  return out;
}

bool usable(const Entry& entry) { return entry.health == Health::ok || entry.health == Health::refresh_soon; }

} // namespace

std::vector<Entry> take_inventory(const Context& context, util::TimePoint now) {
  std::vector<Entry> entries;
  ProfileConfigs configs(context);
  for (const auto& profile : context.store->profiles()) {
    entries.push_back(assess(context, configs, profile, now));
  }
  return entries;
}

int print_inventory(const Context& context, const std::vector<Entry>& entries, bool json, bool next_steps) {
  auto now = util::now_seconds();
  bool all_usable = !entries.empty() && std::all_of(entries.begin(), entries.end(), usable);
  if (json) {
    Json totals = {{"credentials", entries.size()}};
    for (auto health : {Health::ok, Health::refresh_soon, Health::login_needed, Health::damaged}) {
      totals[health_code(health)] =
          std::count_if(entries.begin(), entries.end(), [&](const Entry& entry) { return entry.health == health; });
    }
    Json list = Json::array();
    for (const auto& entry : entries) {
      list.push_back(entry_json(entry, now, next_steps));
    }
    term::print_stdout(util::dump_json(Json{{"schema", 1}, {"credentials", list}, {"totals", totals}}, 2));
  } else if (entries.empty()) {
    term::print_stdout("no credentials in the store (profiles live in " + context.config.credentials_dir + ")\n" +
                       "next: run `keap-auth login` (or `keap-auth login --profile NAME`)\n");
  } else {
    std::string text = table(entries, now);
    if (next_steps) {
      for (const auto& entry : entries) {
        text += entry.profile + ": " + entry.next_step + "\n";
      }
    }
    for (const auto& entry : entries) {
      if (entry.problem) {
        text += entry.profile + ": " + *entry.problem + "\n";
      }
    }
    term::print_stdout(text);
  }
  return all_usable ? 0 : static_cast<int>(ExitCode::relogin);
}

} // namespace keap::cli
