#pragma once

#include "pgstore/pg_store.hpp"
#include "pgstore/rows.hpp"

#include <optional>
#include <string>

namespace keap::pgstore {

/// One profile's lock for one transaction (design/store.md section 7): BEGIN, the session's timeouts
/// with SET LOCAL (the idle one a little above the refresh deadline, so a live holder never outlives
/// its lock), the advisory transaction lock, and the row FOR NO KEY UPDATE. Writes compare the
/// generation read here; a new pair is journaled before the COMMIT, and a COMMIT whose outcome is
/// unknown is settled from the journal. Destroying it unfinished rolls back.
class PgTransaction : public store::Transaction {
public:
  /// `timeout` zero: do not wait; store::Busy at once when another session holds the lock.
  PgTransaction(PgStore& store, std::string profile, std::chrono::milliseconds timeout);
  ~PgTransaction() override;

  std::optional<store::StoredCredential> current() override;
  util::TimePoint now() override;
  void commit(const Credential& fresh) override;
  std::optional<std::string> set_aside_damaged() override { return std::nullopt; }
  void remove() override;

  /// The row as locked, if there is one.
  const std::optional<Row>& row() const { return m_row; }
  /// `store rekey`: the secrets sealed again under the active key, the generation unchanged.
  void reseal();
  /// `store export`: the row marked disabled (its live copy is elsewhere now), the generation unchanged.
  void disable();

private:
  void begin(std::chrono::milliseconds timeout);
  store::Busy busy(const std::string& key, std::chrono::milliseconds timeout);
  Credential open_row();
  int failures_after(const Credential& fresh) const;
  void event(const std::string& kind, long long from, long long to);
  void commit_plain(const Credential& fresh);
  void commit_secrets(const Credential& fresh);
  void settle_from_journal(const std::string& journal, const PgError& failure);

  PgStore& m_store;
  std::string m_profile;
  Connection m_connection;
  std::optional<Row> m_row;
  long long m_db_now = 0;
  long long m_skew = 0;
  Clock::time_point m_locked_at;
  bool m_done = false;
};

/// Puts a grant's access token where the light executable answers `token` from (never a refresh
/// token, a client secret or a key).
void cache_token(const PgStore& store, const std::string& profile, const Credential& credential, long long generation);

} // namespace keap::pgstore
