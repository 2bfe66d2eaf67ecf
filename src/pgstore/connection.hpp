#pragma once

#include "core/error.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct pg_conn;
struct pg_result;

/// The only code that talks to libpq: a connection, one statement call with a client-side deadline,
/// and one error classifier (design/store.md sections 5.3 and 5.4).
namespace keap::pgstore {

using Clock = std::chrono::steady_clock;

/// What went wrong, by what it means for the caller. libpq's own errors carry no SQLSTATE, so the
/// connection's state is checked first.
enum class PgFailure {
  connection_lost,   ///< the session is gone (a cut, a restart, a terminated backend) or was never made
  lock_timeout,      ///< 55P03: someone else holds the lock
  statement_timeout, ///< 57014, or our own deadline passed
  retry_transaction, ///< 40001, 40P01
  outcome_unknown,   ///< 40003, 08007: the statement may or may not have taken effect
  authentication,    ///< 28P01, 28000
  not_initialised,   ///< 42P01, 3F000: no keap_auth schema
  other,
};

class PgError : public Error {
public:
  PgError(PgFailure failure, std::string sqlstate, const std::string& message, std::string hint = {});
  PgFailure failure() const { return m_failure; }
  const std::string& sqlstate() const { return m_sqlstate; }

private:
  PgFailure m_failure;
  std::string m_sqlstate;
};

/// A statement parameter: text, or NULL.
using Param = std::optional<std::string>;

/// A statement's rows, all as text.
class Rows {
public:
  explicit Rows(pg_result* result);
  int size() const { return m_rows; }
  bool empty() const { return m_rows == 0; }
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const; ///< "" for NULL
  std::optional<std::string> value(int row, int column) const;
  int column(const char* name) const; ///< -1 when absent

private:
  std::shared_ptr<pg_result> m_result;
  int m_rows = 0;
};

/// How to connect: libpq's connection string plus what keap-auth always sets on top of it.
struct ConnectionSettings {
  std::string url;              ///< a libpq URI or keyword string, checked to hold no password
  std::string application_name; ///< keap-auth/HOST/PID, so a lock's holder can be named
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds tcp_user_timeout{20000};
  std::string passfile; ///< empty: libpq's own (PGPASSFILE, ~/.pgpass)
  /// The lowest sslmode accepted for a host that is not loopback or a Unix socket, judged on the
  /// connection's effective options (after pg_service.conf and the PG* variables), before anything is
  /// sent.
  std::string require_tls = "verify-full";
};

class Connection {
public:
  /// Connects (libpq's connect_timeout, per host); PgError connection_lost or authentication.
  explicit Connection(const ConnectionSettings& settings);
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement with $1... parameters and waits for its answer until `deadline`, then gives
  /// up: the connection is closed and PgError statement_timeout (when the answer is lost, the outcome
  /// is unknown to the caller). Throws PgError for a failed statement.
  Rows exec(const std::string& sql, const std::vector<Param>& params, Clock::time_point deadline);
  /// The same, for statements without parameters.
  Rows exec(const std::string& sql, Clock::time_point deadline) { return exec(sql, {}, deadline); }

  /// The payloads of the notifications (LISTEN) that arrived, waiting at most `timeout` for one;
  /// empty when none came. PgError connection_lost when the session is gone.
  std::vector<std::string> notifications(std::chrono::milliseconds timeout);

  bool alive() const;
  /// Alive, and in no transaction: fit to be used again.
  bool idle() const;
  /// Idle, and the server has not closed it meanwhile: a restart or an administrator's kill leaves a
  /// goodbye and an end of file on the socket, seen here without a round trip.
  bool reusable();
  void close();
  /// What the server is, for messages: "127.0.0.1:5432/keap".
  std::string where() const;

private:
  PgError failure(pg_result* result, const std::string& fallback) const;
  void finish_connecting(std::chrono::seconds timeout);
  pg_conn* m_connection = nullptr;
};

/// "HOST:PORT/DATABASE" of a connection string, for messages (never the user or other options).
std::string display_of(const std::string& url);

/// Error (exit 2) unless `url` parses as libpq connection options without a password, and, when any
/// host is neither a Unix socket nor loopback, with sslmode verify-full (or at least `lowest`).
void check_url(const std::string& url, const std::string& lowest_sslmode);

} // namespace keap::pgstore
