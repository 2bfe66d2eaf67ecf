#include "pgstore/journal.hpp"

#include "core/profile.hpp"
#include "pgstore/rows.hpp"
#include "util/atomic_file.hpp"
#include "util/crash_point.hpp"
#include "util/encoding.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"

#include <filesystem>
#include <limits>

#include <sys/stat.h>
#include <unistd.h>

namespace keap::pgstore {

namespace {

constexpr const char* k_committed = ".committed";

nlohmann::json params_json(const std::vector<Param>& params) {
  auto list = nlohmann::json::array();
  for (const auto& param : params) {
    list.push_back(param ? nlohmann::json(*param) : nlohmann::json(nullptr));
  }
  return list;
}

void retire(const std::string& path) {
  if (!path.ends_with(k_committed)) {
    ::rename(path.c_str(), (path + k_committed).c_str());
  }
}

/// The row's generation and sealed bytes now; nothing when there is no row.
std::optional<std::pair<long long, std::string>> row_now(Connection& connection, const std::string& profile,
                                                         Clock::time_point deadline) {
  auto rows = connection.exec("SELECT generation, encode(secrets, 'hex') FROM keap_auth.credentials WHERE profile = $1",
                              {profile}, deadline);
  if (rows.empty()) {
    return std::nullopt;
  }
  return std::make_pair(std::stoll(rows.text(0, 0)), util::hex_decode(rows.text(0, 1)).value_or(""));
}

/// The replay's work under the profile's lock, in the open transaction: nothing to do, the pair put in,
/// or a conflict (a compare that loses is checked once more: someone may have put the same pair in).
Replay apply_locked(Connection& connection, const JournalEntry& entry, const std::string& path,
                    const std::string& actor, Clock::time_point deadline) {
  auto holds_pair = [&] {
    auto now = row_now(connection, entry.profile, deadline);
    return now && now->first == entry.to_generation && now->second == entry.sealed;
  };
  auto now = row_now(connection, entry.profile, deadline);
  if (now && now->first == entry.to_generation && now->second == entry.sealed) {
    return Replay::already_committed;
  }
  bool fell_back = now ? now->first == entry.from_generation : entry.from_generation == 0;
  if (!fell_back) {
    return Replay::conflict;
  }
  auto params = entry.params;
  if (entry.from_generation == 0) {
    connection.exec(k_insert_sql, params, deadline);
  } else {
    params.push_back(std::to_string(entry.from_generation));
    if (connection.exec(std::string(k_update_sql) + " RETURNING generation", params, deadline).empty()) {
      return holds_pair() ? Replay::already_committed : Replay::conflict;
    }
  }
  connection.exec("INSERT INTO keap_auth.events (profile, actor, kind, from_generation, to_generation, detail) "
                  "VALUES ($1, $2, 'reconcile_applied', $3::bigint, $4::bigint, $5)",
                  {entry.profile, actor, std::to_string(entry.from_generation), std::to_string(entry.to_generation),
                   std::filesystem::path(path).filename().string()},
                  deadline);
  return Replay::applied;
}

} // namespace

std::string write_journal(const std::string& folder, const JournalEntry& entry) {
  nlohmann::json json = {{"profile", entry.profile},
                         {"from_generation", entry.from_generation},
                         {"to_generation", entry.to_generation},
                         {"sealed", util::hex(entry.sealed)},
                         {"params", params_json(entry.params)}};
  auto path = folder + "/" + entry.profile + "." + std::to_string(entry.to_generation) + "." +
              std::to_string(::getpid()) + ".journal";
  try {
    util::create_private_folders(folder);
    util::write_file_atomically(path, util::dump_json(json) + "\n"); // fsyncs the file and the folder
  } catch (const util::FileError& error) {
    throw Error(ExitCode::failure, std::string("cannot write the journal: ") + error.what());
  }
  util::crash_point("after-journal");
  return path;
}

std::optional<JournalEntry> parse_journal(std::string_view text) {
  auto json = util::parse_json(text);
  if (!json.is_object() || !json["params"].is_array() || !json["from_generation"].is_number_integer() ||
      !json["to_generation"].is_number_integer()) {
    return std::nullopt;
  }
  JournalEntry entry;
  entry.profile = util::string_member(json, "profile").value_or("");
  entry.from_generation = json["from_generation"].get<long long>();
  entry.to_generation = json["to_generation"].get<long long>();
  entry.sealed = util::hex_decode(util::string_member(json, "sealed").value_or("")).value_or("");
  for (const auto& param : json["params"]) {
    entry.params.push_back(param.is_string() ? Param(param.get<std::string>()) : std::nullopt);
  }
  // The range first: from_generation + 1 must not overflow (a journal is outside input).
  bool in_range = entry.from_generation >= 0 && entry.from_generation < std::numeric_limits<long long>::max();
  if (!is_profile_name(entry.profile) || entry.sealed.empty() || entry.params.size() != 21 || !in_range ||
      entry.to_generation != entry.from_generation + 1) {
    return std::nullopt;
  }
  return entry;
}

std::optional<JournalEntry> read_journal(const std::string& path) {
  try {
    auto text = util::read_regular_file(path, 1024 * 1024);
    return text ? parse_journal(*text) : std::nullopt;
  } catch (const util::FileError&) {
    return std::nullopt;
  }
}

std::string lock_key(const std::string& store_id, const std::string& profile) {
  return "keap-auth:" + store_id + ":" + profile;
}

Replay replay_journal(Connection& connection, const std::string& store_id, const std::string& path,
                      const std::string& actor, Clock::time_point deadline) {
  auto entry = read_journal(path);
  if (!entry) {
    return Replay::conflict;
  }
  connection.exec("BEGIN", deadline);
  try {
    auto locked = connection.exec("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
                                  {lock_key(store_id, entry->profile)}, deadline);
    if (locked.text(0, 0) != "t") {
      connection.exec("ROLLBACK", deadline);
      return Replay::busy;
    }
    auto outcome = apply_locked(connection, *entry, path, actor, deadline);
    if (outcome == Replay::applied) {
      announce_change(connection, store_id, entry->profile, deadline);
    }
    connection.exec(outcome == Replay::applied ? "COMMIT" : "ROLLBACK", deadline);
    if (outcome != Replay::conflict) {
      retire(path);
    }
    return outcome;
  } catch (const PgError&) {
    connection.close();
    throw;
  }
}

std::vector<ReplayNotice> replay_journals(Connection& connection, const std::string& store_id,
                                          const std::string& folder, std::chrono::seconds retention,
                                          const std::string& actor, Clock::time_point deadline,
                                          const std::string& only_profile) {
  std::vector<ReplayNotice> notices;
  std::error_code missing;
  std::vector<std::filesystem::path> paths;
  for (std::filesystem::directory_iterator entry(folder, missing), end; !missing && entry != end;
       entry.increment(missing)) {
    paths.push_back(entry->path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& file : paths) {
    auto name = file.filename().string();
    bool committed = name.ends_with(std::string(".journal") + k_committed);
    if ((!committed && !name.ends_with(".journal")) ||
        (!only_profile.empty() && !name.starts_with(only_profile + "."))) {
      continue;
    }
    if (committed) {
      struct stat info {};
      if (::stat(file.c_str(), &info) == 0 &&
          std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(info.st_mtime) > retention) {
        ::unlink(file.c_str());
        continue;
      }
    }
    auto outcome = replay_journal(connection, store_id, file.string(), actor, deadline);
    if (outcome == Replay::applied) {
      notices.push_back({"the journal " + file.string() + " held a pair the store lacked; it was put in", false});
    } else if (outcome == Replay::conflict && !committed) {
      notices.push_back({"the journal " + file.string() +
                             " does not fit its row any more (it was kept): run `keap-auth store reconcile` and see "
                             "`keap-auth store doctor`",
                         true});
    }
  }
  return notices;
}

} // namespace keap::pgstore
