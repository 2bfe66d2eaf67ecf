#include "pgstore/pg_store.hpp"

#include "pgstore/journal.hpp"
#include "pgstore/rows.hpp"
#include "pgstore/transaction.hpp"
#include "store/token_cache.hpp"
#include "util/crash_point.hpp"
#include "util/encoding.hpp"
#include "util/posix_file.hpp"

#include <algorithm>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

namespace keap::pgstore {

namespace {

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 && name[0] ? std::string(name) : std::string("unknown-host");
}

} // namespace

PgSettings settings_of(const Config& config, const util::EnvironmentLookup& environment) {
  check_url(config.store_url, config.store_require_tls);
  if (!config.store_passfile.empty()) {
    struct stat info {};
    if (::stat(config.store_passfile.c_str(), &info) != 0) {
      throw Error(ExitCode::usage, "store_passfile " + config.store_passfile + " does not exist");
    }
    if ((info.st_mode & 077) != 0) {
      throw Error(ExitCode::usage, "store_passfile " + config.store_passfile + " may be read by other users",
                  "run `chmod 600 " + config.store_passfile + "` (libpq ignores such a file anyway)");
    }
  }
  PgSettings settings;
  settings.connection = {config.store_url,
                         "keap-auth/" + host_name() + "/" + std::to_string(::getpid()),
                         config.store_connect_timeout,
                         config.store_tcp_user_timeout,
                         config.store_passfile,
                         config.store_require_tls};
  settings.require_tls = config.store_require_tls;
  settings.key_file = config.store_key_file;
  settings.statement_timeout = config.store_statement_timeout;
  settings.refresh_deadline = config.refresh_deadline;
  settings.journal_retention = config.store_journal_retention;
  settings.journal_dir = config.store_journal_dir;
  settings.cache_dir = config.store_cache ? config.store_cache_dir : "";
  settings.cache_ttl = config.store_cache_ttl;
  // Without a home, this user's own folder in the temporary one, never a shared name (it is only made,
  // and checked, when something is written).
  auto state = util::app_state_folder(environment);
  auto base = state ? *state : util::private_folder_name(environment("TMPDIR").value_or("/tmp"));
  settings.state_dir = base + "/stores/" + store::store_digest(config.store_url);
  settings.store_url = config.store_url;
  settings.actor = host_name() + "/" + std::to_string(::getpid());
  return settings;
}

PgStore::PgStore(PgSettings settings) : m_settings(std::move(settings)) {}

PgStore::~PgStore() = default;

Connection PgStore::connect() const { return Connection(m_settings.connection); }

Connection PgStore::take() {
  std::lock_guard lock(m_mutex);
  while (!m_idle.empty()) {
    auto connection = std::move(m_idle.back());
    m_idle.pop_back();
    if (connection.reusable()) {
      return connection;
    }
  }
  auto connection = connect();
  if (m_store_id.empty() || !m_replayed) {
    first_session(connection);
  }
  return connection;
}

void PgStore::give_back(Connection connection) {
  std::lock_guard lock(m_mutex);
  if (connection.idle() && m_idle.size() < 8) {
    m_idle.push_back(std::move(connection));
  }
}

/// Under m_mutex.
void PgStore::first_session(Connection& connection) {
  auto rows = connection.exec(
      "SELECT store_id::text, extract(epoch from clock_timestamp())::bigint FROM keap_auth.meta", deadline());
  if (rows.empty()) {
    throw PgError(PgFailure::not_initialised, "",
                  "the PostgreSQL store " + display_of(m_settings.store_url) + " is not initialised");
  }
  m_store_id = rows.text(0, 0);
  m_skew = std::stoll(rows.text(0, 1)) - util::now_seconds().time_since_epoch().count();
  m_replayed = true;
  auto notices = replay_journals(connection, m_store_id, m_settings.journal_dir + "/" + m_store_id,
                                 m_settings.journal_retention, m_settings.actor, deadline());
  for (const auto& notice : notices) {
    if (m_settings.notice) {
      m_settings.notice(notice.text);
    }
  }
}

const std::string& PgStore::store_id() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_store_id.empty()) {
      return m_store_id;
    }
  }
  give_back(take()); // set once, under the mutex, and never changed
  return m_store_id;
}

util::TimePoint PgStore::now() {
  store_id(); // the first session reads the database's clock with the id
  return util::now_seconds() + std::chrono::seconds(m_skew);
}

std::string PgStore::store_id_bytes() {
  auto text = store_id();
  std::erase(text, '-');
  return util::hex_decode(text).value_or(text);
}

const Keyring& PgStore::keyring() {
  std::lock_guard lock(m_lazy_mutex);
  if (!m_keyring) {
    m_keyring = Keyring::load(m_settings.key_file);
  }
  return *m_keyring;
}

std::string PgStore::journal_folder() { return m_settings.journal_dir + "/" + store_id(); }

std::string PgStore::cache_file(const std::string& profile) const {
  return store::token_cache_path(m_settings.cache_dir, m_settings.store_url, profile);
}

std::optional<store::StoredCredential> PgStore::read(const std::string& profile, bool open_secrets) {
  check_profile_name(profile, "profile");
  auto connection = take();
  auto rows = connection.exec(std::string("SELECT ") + k_row_columns + " FROM keap_auth.credentials WHERE profile = $1",
                              {profile}, deadline());
  give_back(std::move(connection));
  if (rows.empty()) {
    return std::nullopt;
  }
  auto row = row_of(rows, 0);
  if (row.state == "disabled") {
    return std::nullopt; // exported: the live copy is elsewhere
  }
  if (!open_secrets) {
    return store::StoredCredential{row.plain, {}};
  }
  auto credential = with_secrets(row, open_sealed(row.sealed, keyring(), {store_id_bytes(), profile, row.generation}));
  cache_token(*this, profile, credential, row.generation);
  return store::StoredCredential{credential, {}};
}

std::optional<store::StoredCredential> PgStore::read_credential(const std::string& profile) {
  return read(profile, true);
}

std::optional<store::StoredCredential> PgStore::read_for_status(const std::string& profile) {
  return read(profile, false);
}

std::unique_ptr<store::Transaction> PgStore::lock(const std::string& profile, std::chrono::milliseconds timeout) {
  check_profile_name(profile, "profile");
  return std::make_unique<PgTransaction>(*this, profile, timeout); // its take() replays leftover journals first
}

std::vector<std::string> PgStore::profiles() {
  auto connection = take();
  auto rows = connection.exec("SELECT profile FROM keap_auth.credentials WHERE state <> 'disabled' ORDER BY profile",
                              deadline());
  give_back(std::move(connection));
  std::vector<std::string> names;
  for (int i = 0; i < rows.size(); ++i) {
    names.push_back(rows.text(i, 0));
  }
  return names;
}

std::string PgStore::location(const std::string& profile) const {
  return "postgres://" + display_of(m_settings.store_url) + "#" + profile;
}

std::string PgStore::describe(const std::string& profile) const {
  return "profile " + profile + " of the PostgreSQL store " + display_of(m_settings.store_url);
}

std::optional<std::string> PgStore::check_writable(const std::string& profile) {
  check_profile_name(profile, "profile");
  store_id(); // initialised, and reachable
  keyring();  // and the key to seal with, before anything is spent
  return std::nullopt;
}

std::pair<std::string, std::string> PgStore::rescue_location(const std::string& profile) const {
  return {m_settings.state_dir, profile + ".json"};
}

std::string PgStore::companion_file(const std::string& profile, const std::string& suffix) const {
  return m_settings.state_dir + "/" + profile + ".json" + suffix;
}

std::string PgStore::restore_command(const std::string& rescue_file, const std::string& profile) const {
  return "keap-auth store import --profile " + profile + " --from '" + util::absolute_path(rescue_file) + "' --replace";
}

std::string initialise(PgStore& store) {
  auto connection = store.connect();
  auto deadline = store.deadline();
  connection.exec("BEGIN", deadline);
  connection.exec("SELECT pg_advisory_xact_lock(hashtextextended('keap-auth:migrate', 0))", deadline);
  for (const auto& statement : schema_statements()) {
    connection.exec(statement, deadline);
  }
  auto id = connection.exec("SELECT store_id::text FROM keap_auth.meta", deadline).text(0, 0);
  connection.exec("COMMIT", deadline);
  return id;
}

} // namespace keap::pgstore
