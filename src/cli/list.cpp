// `keap-auth list` and `keap-auth status --all`: one line per credential the store holds, never a
// secret.
#include "cli/inventory.hpp"
#include "cli/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"

#include <algorithm>

namespace keap::cli {

namespace {

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
    print_stdout(util::dump_json(Json{{"schema", 1}, {"credentials", list}, {"totals", totals}}, 2));
  } else if (entries.empty()) {
    print_stdout("no credentials in the store (profiles live in " + context.config.credentials_dir + ")\n" +
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
    print_stdout(text);
  }
  return all_usable ? 0 : static_cast<int>(ExitCode::relogin);
}

int run_list(const CommandLine& line) {
  auto context = open_context(line.global);
  if (line.list.names) {
    auto names = context.store->profiles();
    auto configured = context.source->configured_profiles();
    names.insert(names.end(), configured.begin(), configured.end());
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string text;
    for (const auto& name : names) {
      text += name + "\n";
    }
    print_stdout(text);
    return 0;
  }
  return print_inventory(context, take_inventory(context, util::now_seconds()), line.list.json, false);
}

} // namespace keap::cli
