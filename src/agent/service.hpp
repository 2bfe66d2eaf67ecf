#pragma once

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/settings.hpp"
#include "cli/context.hpp"
#include "pgstore/pacing.hpp"
#include "pgstore/pg_store.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

/// What the agent serves: every served profile's credential held in memory, kept fresh (ahead of
/// time, or when a caller needs it), read again when the store changes, and written to the sinks. It
/// is one more user of the store and its locks: a CLI refresh, the daily timer, another host and the
/// agent never refresh the same grant twice, and a rotated pair is saved (or rescued) by the same code
/// as `keap-auth refresh`.
namespace keap::agent {

/// A profile the agent does not serve (404).
class UnknownProfile : public Error {
public:
  using Error::Error;
};

/// A key was reported rejected: keys cannot be refreshed (409).
class KeyRejected : public Error {
public:
  using Error::Error;
};

/// A token as handed out.
struct Served {
  std::string profile;
  Credential credential;
  std::optional<TimePoint> refresh_at; ///< grants only
};

/// One served profile as /healthz, /v1/profiles and /metrics see it. Secrets are inside `credential`,
/// which no printer prints.
struct ProfileState {
  std::string profile;
  std::optional<Credential> credential;
  std::optional<TimePoint> refresh_at;
  std::string problem; ///< why it cannot be served, or empty
  bool usable = false; ///< valid for min_valid now, or refreshable
};

/// Why the schedule refreshes `stored` (the grant as the store holds it, read under its lock) at `now`,
/// if it does. `scheduled_token` is the access token whose `refresh_at` the schedule was made from: once
/// a caller's refresh (or another host's) has replaced it, that refresh_at no longer says anything, and
/// only `min_valid` and `keep_alive` count.
RefreshReason scheduled_reason(const OAuthGrant& stored, const std::string& scheduled_token,
                               std::optional<TimePoint> refresh_at, const Settings& settings, TimePoint now);

class Service {
public:
  Service(std::shared_ptr<cli::Context> context, Settings settings, const Log& log, Metrics& metrics);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// Reads every served profile and writes their sinks. Problems are logged, not thrown: a profile that
  /// needs a login is served as soon as one is made.
  void start();

  const Settings& settings() const { return m_settings; }
  const std::string& default_profile() const { return m_context->profile; }

  /// A token valid for at least the larger of `min_valid` and the settings' min_valid: the one held, or
  /// a refreshed one (one refresh however many callers ask at once). UnknownProfile, or Error with the
  /// CLI's exit code (4: a login is needed; 5: Keap or the store cannot be reached).
  Served token(const std::string& profile, std::chrono::seconds min_valid);

  /// The same when it needs neither a refresh nor a wait for the store (the common case, answered on
  /// the server's own thread); nothing otherwise.
  std::optional<Served> held_token(const std::string& profile, std::chrono::seconds min_valid);

  /// `rejected` just got a 401: the held token when it differs (another process refreshed), else one
  /// refresh. KeyRejected for a key.
  Served replace(const std::string& profile, const std::string& rejected);

  std::vector<ProfileState> states();

  /// Where `profile`'s API calls go (the proxy): its api_base_url, and the ca_file to verify it with.
  /// UnknownProfile; Error (exit 2) when api_base_url is not a URL.
  struct Upstream {
    util::Url base;
    std::string ca_file;
  };
  Upstream upstream(const std::string& profile);
  /// Error (exit 2) unless `credential` of `profile` may be sent to `url` (core/destinations.hpp).
  void check_destination(const std::string& profile, const util::Url& url, const Credential& credential);

  /// Another process committed a change of `profile` to the store: read it again now.
  void changed(const std::string& profile);
  /// Reads every served profile again: the announcements made while no one listened are lost.
  void catch_up();

  /// The store's PostgreSQL side, when it is one (for the agent's change listener), or nullptr.
  pgstore::PgStore* postgres() const;
  /// The proxy's pacer cells in the PostgreSQL store, shared by every host; nullptr with the file store.
  pgstore::SharedCells* shared_cells() const { return m_shared_cells.get(); }

  /// Refreshes what is due (ahead of time, or a refresh token older than keep_alive), reads again what
  /// changed, and returns when it should be called next.
  std::chrono::steady_clock::time_point tick();

private:
  struct Slot;
  Slot& slot_of(const std::string& profile);
  /// The slots now served, taken under the lock and used after it.
  std::vector<std::pair<std::string, Slot*>> every_slot();
  /// Reads the profile again when the store says it changed (or always, with `force`).
  void reread(const std::string& profile, Slot& slot, bool force);
  void adopt(const std::string& profile, Slot& slot, const std::optional<Credential>& credential);
  Served refresh(const std::string& profile, Slot& slot, const oauth::RefreshDecision& decide, const char* why);
  void write_sinks(const std::string& profile, const Credential& credential, std::optional<TimePoint> refresh_at);
  std::optional<TimePoint> refresh_at_of(const Credential& credential);

  std::shared_ptr<cli::Context> m_context;
  Settings m_settings;
  const Log& m_log;
  Metrics& m_metrics;
  std::mutex m_slots_mutex;
  std::map<std::string, std::unique_ptr<Slot>> m_slots;
  std::chrono::steady_clock::time_point m_next_poll;
  std::unique_ptr<pgstore::SharedCells> m_shared_cells;
};

} // namespace keap::agent
