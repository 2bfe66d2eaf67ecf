#pragma once

#include "pgstore/connection.hpp"

#include <optional>
#include <string>
#include <vector>

/// The journal (design/store.md section 8): a new pair, sealed exactly as it goes into the row, written
/// and fsynced before the COMMIT, so a COMMIT that fails, whose answer is lost, or that a killed process
/// never sent loses nothing. Every command replays what is left over before it does anything else.
namespace keap::pgstore {

struct JournalEntry {
  std::string profile;
  long long from_generation = 0; ///< 0: a new row
  long long to_generation = 0;
  std::string sealed;        ///< the sealed secrets (the same bytes as the row)
  std::vector<Param> params; ///< write_params for the UPDATE or INSERT
};

/// Writes the entry to FOLDER/PROFILE.TO.PID.journal (0600, fsynced with its folder) and returns the
/// path; Error when it cannot.
std::string write_journal(const std::string& folder, const JournalEntry& entry);

/// The entry in a journal's text; nothing when it is not one. Pure.
std::optional<JournalEntry> parse_journal(std::string_view text);

/// Reads one journal; nothing when it is not one.
std::optional<JournalEntry> read_journal(const std::string& path);

/// What a replay found for one journal.
enum class Replay {
  already_committed, ///< the row holds its pair: retired
  applied,           ///< the row was still at the generation before: the pair was put in, retired
  conflict,          ///< the row moved on another way: the journal is kept, for a person
  busy,              ///< another session holds the profile's lock (its writer may be committing it): left alone
};

/// The advisory lock key of a profile: the one every refresh, login and replay of it takes.
std::string lock_key(const std::string& store_id, const std::string& profile);

/// Puts one journal's pair into the store if it is not there yet, under the profile's lock (taken
/// without waiting: a lock held elsewhere means its writer may still be committing it, so the journal is
/// left for later), in its own transaction, with a compare on the generation that is checked again when
/// it loses. Retires the journal (renamed .committed) unless there is a conflict. A .committed journal
/// is applied again only when its row fell back to the generation before (a failover lost the commit).
/// Throws PgError when the database cannot be reached.
Replay replay_journal(Connection& connection, const std::string& store_id, const std::string& path,
                      const std::string& actor, Clock::time_point deadline);

/// What replaying one journal did, for the person.
struct ReplayNotice {
  std::string text;
  bool conflict = false; ///< it no longer fits its row and was kept: reconcile and doctor are needed
};

/// Every leftover journal of the folder, replayed (committed ones past `retention` are deleted).
/// Returns a notice per journal that was applied or is in conflict.
std::vector<ReplayNotice> replay_journals(Connection& connection, const std::string& store_id,
                                          const std::string& folder, std::chrono::seconds retention,
                                          const std::string& actor, Clock::time_point deadline,
                                          const std::string& only_profile = {});

} // namespace keap::pgstore
