#include "pgstore/transaction.hpp"

#include "pgstore/journal.hpp"
#include "pgstore/rows.hpp"
#include "store/token_cache.hpp"
#include "util/crash_point.hpp"
#include "util/encoding.hpp"

#include <algorithm>
#include <thread>

#include <unistd.h>

namespace keap::pgstore {

namespace {

std::string milliseconds(std::chrono::milliseconds duration) { return std::to_string(duration.count()) + "ms"; }

} // namespace

void cache_token(const PgStore& store, const std::string& profile, const Credential& credential, long long generation) {
  const auto* grant = std::get_if<OAuthGrant>(&credential);
  if (!grant || store.settings().cache_dir.empty() || grant->access_token.empty()) {
    return;
  }
  auto path = store.cache_file(profile);
  auto cached = store::read_token_cache(path);
  auto now = util::now_seconds();
  // Rewritten when it changed, and when its confirmation is getting old: that date is what lets the
  // light program serve it without asking the store.
  if (!cached || cached->access_token != grant->access_token || cached->generation != generation ||
      !store::fresh_enough(*cached, store.settings().cache_ttl / 4, now)) {
    store::write_token_cache(path, {grant->access_token, grant->expires_at, generation, now});
  }
}

PgTransaction::PgTransaction(PgStore& store, std::string profile, std::chrono::milliseconds timeout)
    : m_store(store), m_profile(std::move(profile)), m_connection(store.take()) {
  begin(timeout);
}

PgTransaction::~PgTransaction() {
  if (!m_done && m_connection.alive()) {
    try {
      m_connection.exec("ROLLBACK", Clock::now() + std::chrono::seconds(5));
    } catch (const std::exception&) {
    }
  }
  m_store.give_back(std::move(m_connection));
}

std::optional<store::StoredCredential> PgTransaction::current() {
  if (!m_row || m_row->state == "disabled") {
    return std::nullopt;
  }
  return store::StoredCredential{open_row(), {}};
}

util::TimePoint PgTransaction::now() {
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - m_locked_at);
  return util::TimePoint{std::chrono::seconds{m_db_now}} + elapsed;
}

void PgTransaction::commit(const Credential& fresh) {
  if (m_row && m_row->state != "disabled" && same_secrets(fresh, open_row())) {
    commit_plain(fresh);
  } else {
    commit_secrets(fresh);
  }
}

void PgTransaction::begin(std::chrono::milliseconds timeout) {
  auto deadline = m_store.deadline();
  m_connection.exec("BEGIN", deadline);
  // SET LOCAL works through PgBouncer's transaction mode, where SET and startup options do not.
  const auto& settings = m_store.settings();
  m_connection.exec("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true), "
                    "set_config('idle_in_transaction_session_timeout', $3, true)",
                    {milliseconds(std::max(timeout, std::chrono::milliseconds(1))),
                     milliseconds(settings.statement_timeout),
                     milliseconds(settings.refresh_deadline + std::chrono::seconds(30))},
                    deadline);
  auto key = lock_key(m_store.store_id(), m_profile);
  if (timeout.count() == 0) {
    auto got = m_connection.exec("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", {key}, deadline);
    if (got.text(0, 0) != "t") {
      throw store::Busy(ExitCode::unavailable,
                        "another host is working on the profile " + m_profile + " right now; it was left to it");
    }
  } else {
    try {
      m_connection.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {key}, deadline);
    } catch (const PgError& error) {
      if (error.failure() != PgFailure::lock_timeout) {
        throw;
      }
      throw busy(key, timeout);
    }
  }
  auto rows = m_connection.exec(std::string("SELECT ") + k_row_columns +
                                    " FROM keap_auth.credentials WHERE profile = $1 FOR NO KEY UPDATE",
                                {m_profile}, deadline);
  m_locked_at = Clock::now();
  if (!rows.empty()) {
    m_row = row_of(rows, 0);
    m_db_now = m_row->db_now;
  } else {
    m_db_now =
        std::stoll(m_connection.exec("SELECT extract(epoch from clock_timestamp())::bigint", deadline).text(0, 0));
  }
  m_skew = m_db_now - util::now_seconds().time_since_epoch().count();
}

/// The lock timed out: name who holds it, from a fresh transaction (this one is aborted).
store::Busy PgTransaction::busy(const std::string& key, std::chrono::milliseconds timeout) {
  std::string holder = "another keap-auth process";
  try {
    auto deadline = m_store.deadline();
    m_connection.exec("ROLLBACK", deadline);
    auto rows = m_connection.exec(
        "SELECT a.application_name, to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = ((hashtextextended($1, 0) >> 32) & 4294967295)::oid "
        "AND l.objid = (hashtextextended($1, 0) & 4294967295)::oid",
        {key}, deadline);
    if (!rows.empty()) {
      holder = "\"" + rows.text(0, 0) + "\" (since " + rows.text(0, 1) + ")";
    }
  } catch (const std::exception&) {
  }
  m_done = true;
  return store::Busy(ExitCode::unavailable,
                     "the profile " + m_profile + " in " + m_store.describe(m_profile) + " has been locked by " +
                         holder + " for more than " + std::to_string(timeout.count() / 1000) +
                         " s; nothing was changed",
                     "it is probably refreshing against a slow token endpoint; try again, or raise --lock-timeout");
}

Credential PgTransaction::open_row() {
  SealContext context{m_store.store_id_bytes(), m_profile, m_row->generation};
  return with_secrets(*m_row, open_sealed(m_row->sealed, m_store.keyring(), context));
}

int PgTransaction::failures_after(const Credential& fresh) const {
  const auto* grant = std::get_if<OAuthGrant>(&fresh);
  return grant && grant->last_refresh_failure ? 1 : 0;
}

void PgTransaction::event(const std::string& kind, long long from, long long to) {
  announce_change(m_connection, m_store.store_id(), m_profile, m_store.deadline());
  m_connection.exec("INSERT INTO keap_auth.events (profile, actor, kind, from_generation, to_generation) "
                    "VALUES ($1, $2, $3, $4::bigint, $5::bigint)",
                    {m_profile, m_store.settings().actor, kind, std::to_string(from), std::to_string(to)},
                    m_store.deadline());
}

/// Only what is plain changed (a failure recorded, say): the generation stays.
void PgTransaction::commit_plain(const Credential& fresh) {
  auto params = write_params(m_profile, fresh, m_row->generation, m_row->key_id, util::hex(m_row->sealed),
                             m_store.settings().actor, m_skew, failures_after(fresh));
  params.push_back(std::to_string(m_row->generation));
  m_connection.exec(k_update_sql, params, m_store.deadline());
  const auto* grant = std::get_if<OAuthGrant>(&fresh);
  bool rejected = grant && grant->last_refresh_failure && grant->last_refresh_failure->kind == "rejected";
  event(rejected ? "refresh_rejected" : "refresh_failed", m_row->generation, m_row->generation);
  m_connection.exec("COMMIT", m_store.deadline());
  m_done = true;
}

void PgTransaction::commit_secrets(const Credential& fresh) {
  long long from = m_row ? m_row->generation : 0;
  long long to = from + 1;
  const auto& key = m_store.keyring().active();
  auto sealed = seal(secrets_of(fresh), key, {m_store.store_id_bytes(), m_profile, to});
  auto params = write_params(m_profile, fresh, to, key.id, util::hex(sealed), m_store.settings().actor, m_skew, 0);
  std::string journal;
  try {
    journal = write_journal(m_store.journal_folder(), {m_profile, from, to, sealed, params});
  } catch (const Error&) {
    // Without a journal the write goes on; should it fail too, the caller's rescue file keeps the pair.
  }
  try {
    if (m_row) {
      auto guarded = params;
      guarded.push_back(std::to_string(from));
      if (m_connection.exec(std::string(k_update_sql) + " RETURNING generation", guarded, m_store.deadline()).empty()) {
        throw Error(ExitCode::failure, "the row of the profile " + m_profile + " changed under its lock",
                    "run `keap-auth store doctor`");
      }
    } else {
      m_connection.exec(k_insert_sql, params, m_store.deadline());
    }
    util::crash_point("after-update");
    event(m_row ? "refresh_ok" : "login", from, to);
    m_connection.exec("COMMIT", m_store.deadline());
    m_done = true;
  } catch (const PgError& error) {
    m_done = true;
    if (journal.empty()) {
      throw;
    }
    settle_from_journal(journal, error);
  }
  if (!journal.empty()) {
    ::rename(journal.c_str(), (journal + ".committed").c_str());
  }
  cache_token(m_store, m_profile, fresh, to);
}

/// The COMMIT failed or its answer was lost: the outcome is unknown, so ask the database (from a new
/// session) what it holds, and put the journal's pair in if it is not there.
void PgTransaction::settle_from_journal(const std::string& journal, const PgError& failure) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    try {
      auto connection = m_store.connect();
      auto outcome =
          replay_journal(connection, m_store.store_id(), journal, m_store.settings().actor, m_store.deadline());
      if (outcome == Replay::busy) {
        // This transaction's own session may still hold the lock (its COMMIT in flight): ask again.
        std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
        continue;
      }
      if (outcome != Replay::conflict) {
        return;
      }
      throw Error(ExitCode::failure, "the new pair of the profile " + m_profile +
                                         " could not be put into the store (its row changed); " +
                                         "it is safe in the journal " + journal)
          .with_rescue_file(journal);
    } catch (const PgError&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
    }
  }
  throw Error(ExitCode::unavailable,
              std::string(failure.what()) + "; the new pair is safe in the journal " + journal +
                  ", and the next keap-auth command puts it into the store",
              "check that the database is up; nothing is lost")
      .with_rescue_file(journal);
}

void PgTransaction::reseal() {
  if (!m_row) {
    return;
  }
  const auto& key = m_store.keyring().active();
  auto sealed = seal(secrets_of(open_row()), key, {m_store.store_id_bytes(), m_profile, m_row->generation});
  m_connection.exec("UPDATE keap_auth.credentials SET key_id = $2, secrets = decode($3, 'hex'), updated_at = now() "
                    "WHERE profile = $1 AND generation = $4::bigint",
                    {m_profile, key.id, util::hex(sealed), std::to_string(m_row->generation)}, m_store.deadline());
  event("rekey", m_row->generation, m_row->generation);
  m_connection.exec("COMMIT", m_store.deadline());
  m_done = true;
}

void PgTransaction::remove() {
  if (!m_row) {
    return;
  }
  // Disabled with its sealed secrets emptied rather than deleted: the refresher's role has no DELETE,
  // and the row's events stay for `store doctor`.
  m_connection.exec("UPDATE keap_auth.credentials SET state = 'disabled', secrets = '\\x'::bytea, updated_at = now() "
                    "WHERE profile = $1",
                    {m_profile}, m_store.deadline());
  event("logout", m_row->generation, m_row->generation);
  m_connection.exec("COMMIT", m_store.deadline());
  m_done = true;
  store::forget_token_cache(m_store.cache_file(m_profile));
}

void PgTransaction::disable() {
  if (!m_row) {
    return;
  }
  m_connection.exec("UPDATE keap_auth.credentials SET state = 'disabled', updated_at = now() WHERE profile = $1",
                    {m_profile}, m_store.deadline());
  event("export", m_row->generation, m_row->generation);
  m_connection.exec("COMMIT", m_store.deadline());
  m_done = true;
  store::forget_token_cache(m_store.cache_file(m_profile));
}

} // namespace keap::pgstore
