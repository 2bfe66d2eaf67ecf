#pragma once

#include "core/config.hpp"
#include "pgstore/connection.hpp"
#include "pgstore/seal.hpp"
#include "store/credential_store.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace keap::pgstore {

/// What the PostgreSQL store needs from the configuration.
struct PgSettings {
  ConnectionSettings connection;
  std::string require_tls = "verify-full";
  std::string key_file;
  std::chrono::milliseconds statement_timeout{125000};
  std::chrono::milliseconds refresh_deadline{90000}; ///< D: the Keap exchange's hard cap
  std::chrono::seconds journal_retention{86400};
  std::string journal_dir;            ///< the store's journals go in JOURNAL_DIR/STORE_ID
  std::string cache_dir;              ///< the token cache; empty: none
  std::chrono::seconds cache_ttl{60}; ///< how long the light program serves a cached token unconfirmed
  std::string state_dir;              ///< local files (a pending login, rate limits) and rescue files
  std::string store_url;              ///< as configured, for the cache's name
  std::string actor;                  ///< HOST/PID, in events and last_attempt_by
  /// Told what the person should know as it happens: a journal replayed at the first connection
  /// (applied, or in conflict).
  std::function<void(const std::string&)> notice;
};

/// The settings of `config`, with the connection string checked (no password; TLS off loopback).
PgSettings settings_of(const Config& config, const util::EnvironmentLookup& environment);

/// Credentials in PostgreSQL, shared by every host that points at the database (design/store.md): a
/// refresh holds the profile's lock (an advisory transaction lock and the row's FOR NO KEY UPDATE) for
/// one transaction, writes with a compare on the generation, and journals the new pair before the
/// COMMIT. The secrets are sealed (seal.hpp); everything `status` shows is plain.
class PgStore : public store::CredentialStore {
public:
  explicit PgStore(PgSettings settings);
  ~PgStore() override;

  std::optional<store::StoredCredential> read_credential(const std::string& profile) override;
  std::optional<store::StoredCredential> read_for_status(const std::string& profile) override;
  std::unique_ptr<store::Transaction> lock(const std::string& profile, std::chrono::milliseconds timeout) override;
  std::vector<std::string> profiles() override;
  std::string describe(const std::string& profile) const override;
  std::string protection() const override { return "tokens and secret sealed with AES-256-GCM"; }
  std::string location(const std::string& profile) const override;
  std::optional<std::string> check_writable(const std::string& profile) override;
  std::pair<std::string, std::string> rescue_location(const std::string& profile) const override;
  std::string companion_file(const std::string& profile, const std::string& suffix) const override;
  std::string restore_command(const std::string& rescue_file, const std::string& profile) const override;
  bool shares_work() const override { return true; }
  util::TimePoint now() override;

  const PgSettings& settings() const { return m_settings; }
  /// A new session, with the connection settings.
  Connection connect() const;
  /// A session from the idle ones, or a new one. The first session of the process reads the store's
  /// id and replays leftover journals (every command does that before anything else).
  Connection take();
  /// Keeps a session for the next take() if it is idle (one connection per process, not one per step:
  /// each costs a SCRAM handshake).
  void give_back(Connection connection);
  /// The store's id (its uuid's text), read once.
  const std::string& store_id();
  /// The store's id as the 16 raw bytes sealed values bind.
  std::string store_id_bytes();
  const Keyring& keyring();
  std::string journal_folder();
  std::string cache_file(const std::string& profile) const;
  /// Statement deadline from now.
  Clock::time_point deadline() const { return Clock::now() + m_settings.statement_timeout; }

private:
  std::optional<store::StoredCredential> read(const std::string& profile, bool open_secrets);
  void first_session(Connection& connection);

  PgSettings m_settings;
  std::mutex m_mutex;      ///< the idle sessions, the store id and the replay, for several threads
  std::mutex m_lazy_mutex; ///< the keyring, read once by whichever thread comes first
  std::vector<Connection> m_idle;
  std::string m_store_id;
  long long m_skew = 0; ///< the database's clock minus this machine's, in seconds, read with the store id
  std::optional<Keyring> m_keyring;
  bool m_replayed = false;
};

/// `keap-auth store init`: the schema and the store's id, idempotent, under an advisory lock.
/// Returns the store's id.
std::string initialise(PgStore& store);

} // namespace keap::pgstore
