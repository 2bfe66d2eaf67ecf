#include "pgstore/connection.hpp"

#include "util/text.hpp"
#include "util/url.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cerrno>

#include <poll.h>

namespace keap::pgstore {

namespace {

ExitCode exit_code_of(PgFailure failure) {
  switch (failure) {
  case PgFailure::authentication:
  case PgFailure::not_initialised:
    return ExitCode::usage;
  case PgFailure::other:
    return ExitCode::failure;
  default:
    return ExitCode::unavailable;
  }
}

std::string default_hint(PgFailure failure) {
  switch (failure) {
  case PgFailure::authentication:
    return "check the user in store_url and its password in the passfile (store_passfile, PGPASSFILE or "
           "~/.pgpass, mode 0600)";
  case PgFailure::not_initialised:
    return "run `keap-auth store init` once (or give the SQL of `keap-auth store init --print-sql` to your DBA)";
  case PgFailure::connection_lost:
    return "check that the database is up and reachable, then try again";
  default:
    return {};
  }
}

PgFailure classify(const std::string& sqlstate, bool connection_bad) {
  if (connection_bad) {
    return PgFailure::connection_lost;
  }
  if (sqlstate == "55P03") {
    return PgFailure::lock_timeout;
  }
  if (sqlstate == "57014") {
    return PgFailure::statement_timeout;
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return PgFailure::retry_transaction;
  }
  if (sqlstate == "40003" || sqlstate == "08007") {
    return PgFailure::outcome_unknown;
  }
  if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
      sqlstate == "25P03") {
    return PgFailure::connection_lost;
  }
  if (sqlstate == "28P01" || sqlstate == "28000") {
    return PgFailure::authentication;
  }
  if (sqlstate == "42P01" || sqlstate == "3F000") {
    return PgFailure::not_initialised;
  }
  return sqlstate.empty() ? PgFailure::connection_lost : PgFailure::other;
}

/// libpq's message, on one line.
std::string message_of(const char* text) {
  std::string message = util::printable_excerpt(text ? text : "", 400);
  while (!message.empty() && message.back() == ' ') {
    message.pop_back();
  }
  return message.empty() ? "no message" : message;
}

bool is_loopback_or_socket(const std::string& host) {
  return host.empty() || host.starts_with("/") || host.starts_with("@") || util::is_loopback_host(host);
}

int sslmode_rank(const std::string& mode) {
  static const char* const k_modes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
  for (int i = 0; i < 6; ++i) {
    if (mode == k_modes[i]) {
      return i;
    }
  }
  return -1;
}

/// The connection's effective hosts and sslmode must keep tokens off an unverified network (the
/// static check of check_url() cannot see a service file or PGHOST).
void check_effective_options(pg_conn* connection, const std::string& lowest_sslmode) {
  std::string hosts, addresses, sslmode;
  PQconninfoOption* options = PQconninfo(connection);
  for (auto* option = options; option != nullptr && option->keyword != nullptr; ++option) {
    std::string keyword = option->keyword;
    std::string value = option->val ? option->val : "";
    if (keyword == "host") {
      hosts = value;
    } else if (keyword == "hostaddr") {
      addresses = value;
    } else if (keyword == "sslmode") {
      sslmode = value;
    }
  }
  PQconninfoFree(options);
  bool local = true;
  for (const auto& list : {hosts, addresses}) {
    for (size_t start = 0; start <= list.size();) {
      auto comma = list.find(',', start);
      local = local && is_loopback_or_socket(list.substr(start, comma == std::string::npos ? comma : comma - start));
      start = comma == std::string::npos ? list.size() + 1 : comma + 1;
    }
  }
  if (!local && sslmode_rank(sslmode) < sslmode_rank(lowest_sslmode)) {
    throw Error(ExitCode::usage,
                "the PostgreSQL store would be reached at " + (addresses.empty() ? hosts : addresses) +
                    " with sslmode " + (sslmode.empty() ? std::string("prefer") : sslmode) +
                    " (as libpq resolves store_url with pg_service.conf and the PG* variables); tokens need " +
                    lowest_sslmode + "; nothing was sent",
                "name the host and sslmode=verify-full with sslrootcert in store_url itself, or fix the service file "
                "or PGHOST/PGSSLMODE");
  }
}

} // namespace

PgError::PgError(PgFailure failure, std::string sqlstate, const std::string& message, std::string hint)
    : Error(exit_code_of(failure), message, hint.empty() ? default_hint(failure) : std::move(hint)), m_failure(failure),
      m_sqlstate(std::move(sqlstate)) {}

Rows::Rows(pg_result* result) : m_result(result, PQclear), m_rows(result ? PQntuples(result) : 0) {}

bool Rows::is_null(int row, int column) const { return PQgetisnull(m_result.get(), row, column) == 1; }

std::string Rows::text(int row, int column) const {
  return is_null(row, column) ? std::string()
                              : std::string(PQgetvalue(m_result.get(), row, column),
                                            static_cast<size_t>(PQgetlength(m_result.get(), row, column)));
}

std::optional<std::string> Rows::value(int row, int column) const {
  return is_null(row, column) ? std::nullopt : std::optional<std::string>(text(row, column));
}

int Rows::column(const char* name) const { return PQfnumber(m_result.get(), name); }

std::string display_of(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return "the PostgreSQL store";
  }
  std::string host = "local socket", port, database;
  for (auto* option = options; option->keyword != nullptr; ++option) {
    std::string keyword = option->keyword;
    if (option->val == nullptr) {
      continue;
    }
    if (keyword == "host" && *option->val) {
      host = option->val;
    } else if (keyword == "port") {
      port = option->val;
    } else if (keyword == "dbname") {
      database = option->val;
    }
  }
  PQconninfoFree(options);
  return host + (port.empty() ? "" : ":" + port) + (database.empty() ? "" : "/" + database);
}

void check_url(const std::string& url, const std::string& lowest_sslmode) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string reason = message_of(error);
    PQfreemem(error);
    throw Error(ExitCode::usage, "store_url is not a PostgreSQL connection string: " + reason,
                "write it as postgresql://USER@HOST:5432/DATABASE?sslmode=verify-full");
  }
  std::string hosts, sslmode, password;
  for (auto* option = options; option->keyword != nullptr; ++option) {
    std::string keyword = option->keyword;
    std::string value = option->val ? option->val : "";
    if (keyword == "host" || keyword == "hostaddr") {
      hosts += (hosts.empty() ? "" : ",") + value;
    } else if (keyword == "sslmode") {
      sslmode = value;
    } else if (keyword == "password") {
      password = value;
    }
  }
  PQconninfoFree(options);
  if (!password.empty()) {
    throw Error(ExitCode::usage, "store_url holds a password, which every process that reads the config would see",
                "remove it, and put it in a passfile instead (store_passfile, PGPASSFILE or ~/.pgpass, mode 0600)");
  }
  bool local = true;
  for (size_t start = 0; start <= hosts.size();) {
    auto comma = hosts.find(',', start);
    local = local && is_loopback_or_socket(hosts.substr(start, comma == std::string::npos ? comma : comma - start));
    start = comma == std::string::npos ? hosts.size() + 1 : comma + 1;
  }
  if (!local && sslmode_rank(sslmode) < sslmode_rank(lowest_sslmode)) {
    throw Error(ExitCode::usage,
                "store_url reaches a database over the network with sslmode " +
                    (sslmode.empty() ? std::string("prefer (the default)") : sslmode) + "; tokens need " +
                    lowest_sslmode,
                "add sslmode=verify-full and sslrootcert=CA.pem to store_url (plain connections are allowed only to "
                "a Unix socket or a loopback host)");
  }
}

Connection::Connection(const ConnectionSettings& settings) {
  auto connect_timeout = std::to_string(std::max<long long>(2, settings.connect_timeout.count()));
  auto user_timeout = std::to_string(settings.tcp_user_timeout.count());
  // The URL first (expanded), then what keap-auth always sets, which overrides it.
  std::vector<const char*> keywords{"dbname",          "application_name",    "connect_timeout",  "keepalives",
                                    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"};
  std::vector<const char*> values{
      settings.url.c_str(), settings.application_name.c_str(), connect_timeout.c_str(), "1", "30", "10", "3",
      user_timeout.c_str()};
  if (!settings.passfile.empty()) {
    keywords.push_back("passfile");
    values.push_back(settings.passfile.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  // Started, not finished: libpq has applied pg_service.conf and the PG* variables by now, and sent
  // nothing yet, so the options it will really use are judged before a byte of the session goes out.
  m_connection = PQconnectStartParams(keywords.data(), values.data(), 1);
  if (m_connection != nullptr && PQstatus(m_connection) != CONNECTION_BAD) {
    try {
      check_effective_options(m_connection, settings.require_tls);
    } catch (const Error&) {
      close();
      throw;
    }
    try {
      finish_connecting(std::chrono::seconds(std::max<long long>(2, settings.connect_timeout.count())));
    } catch (const PgError&) {
      close();
      throw;
    }
  }
  if (m_connection == nullptr || PQstatus(m_connection) != CONNECTION_OK) {
    std::string message = m_connection ? message_of(PQerrorMessage(m_connection)) : "out of memory";
    // A failed start-up leaves no PGresult, so no SQLSTATE (28P01, 28000): besides libpq's one typed
    // answer, its message is all there is, read here and nowhere else.
    bool authentication = (m_connection != nullptr && PQconnectionNeedsPassword(m_connection) == 1) ||
                          message.find("authentication") != std::string::npos ||
                          message.find("password") != std::string::npos;
    close();
    throw PgError(authentication ? PgFailure::authentication : PgFailure::connection_lost, "",
                  "cannot connect to the PostgreSQL store: " + message);
  }
}

void Connection::finish_connecting(std::chrono::seconds timeout) {
  // libpq's connect_timeout does not apply to PQconnectPoll: the wait is ours to bound.
  auto deadline = Clock::now() + timeout;
  auto status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd ready{PQsocket(m_connection), static_cast<short>(status == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (left <= 0 || ready.fd < 0) {
      throw PgError(PgFailure::connection_lost, "",
                    "cannot connect to the PostgreSQL store at " + where() + ": timeout expired after " +
                        std::to_string(timeout.count()) + " s (store_connect_timeout)");
    }
    if (::poll(&ready, 1, static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) {
      return;
    }
    status = PQconnectPoll(m_connection);
  }
}

Connection::~Connection() { close(); }

Connection::Connection(Connection&& other) noexcept : m_connection(other.m_connection) { other.m_connection = nullptr; }

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    m_connection = other.m_connection;
    other.m_connection = nullptr;
  }
  return *this;
}

std::vector<std::string> Connection::notifications(std::chrono::milliseconds timeout) {
  std::vector<std::string> payloads;
  auto collect = [&] {
    while (PGnotify* notice = PQnotifies(m_connection)) {
      payloads.emplace_back(notice->extra);
      PQfreemem(notice);
    }
  };
  if (m_connection == nullptr) {
    throw PgError(PgFailure::connection_lost, "", "the PostgreSQL store's listening session is closed");
  }
  collect();
  if (!payloads.empty()) {
    return payloads;
  }
  pollfd ready{PQsocket(m_connection), POLLIN, 0};
  int count = ::poll(&ready, 1, static_cast<int>(timeout.count()));
  if (count > 0 && (PQconsumeInput(m_connection) == 0 || PQstatus(m_connection) != CONNECTION_OK)) {
    auto message = message_of(PQerrorMessage(m_connection));
    close();
    throw PgError(PgFailure::connection_lost, "", "the PostgreSQL store's listening session was lost: " + message);
  }
  collect();
  return payloads;
}

bool Connection::alive() const { return m_connection != nullptr && PQstatus(m_connection) == CONNECTION_OK; }

bool Connection::idle() const { return alive() && PQtransactionStatus(m_connection) == PQTRANS_IDLE; }

bool Connection::reusable() {
  if (!idle()) {
    return false;
  }
  // The goodbye may come in one read and the end of file in the next.
  for (int reads = 0; reads < 4 && idle(); ++reads) {
    pollfd ready{PQsocket(m_connection), POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0) {
      return true;
    }
    if (PQconsumeInput(m_connection) == 0) {
      close();
      return false;
    }
  }
  return idle();
}

void Connection::close() {
  if (m_connection != nullptr) {
    PQfinish(m_connection);
    m_connection = nullptr;
  }
}

std::string Connection::where() const {
  if (m_connection == nullptr) {
    return "the PostgreSQL store";
  }
  std::string host = PQhost(m_connection) ? PQhost(m_connection) : "";
  return host + ":" + (PQport(m_connection) ? PQport(m_connection) : "") + "/" +
         (PQdb(m_connection) ? PQdb(m_connection) : "");
}

PgError Connection::failure(pg_result* result, const std::string& fallback) const {
  std::string sqlstate;
  std::string message = fallback;
  if (result != nullptr) {
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) {
      sqlstate = state;
    }
    message = message_of(PQresultErrorMessage(result));
  } else if (m_connection != nullptr) {
    message = message_of(PQerrorMessage(m_connection));
  }
  bool bad = m_connection == nullptr || PQstatus(m_connection) == CONNECTION_BAD;
  return PgError(classify(sqlstate, bad && sqlstate.empty()), sqlstate, "PostgreSQL: " + message);
}

Rows Connection::exec(const std::string& sql, const std::vector<Param>& params, Clock::time_point deadline) {
  if (!alive()) {
    throw PgError(PgFailure::connection_lost, "", "PostgreSQL: the connection is closed");
  }
  std::vector<const char*> values;
  for (const auto& param : params) {
    values.push_back(param ? param->c_str() : nullptr);
  }
  if (PQsendQueryParams(m_connection, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, 0) != 1) {
    throw failure(nullptr, "cannot send the statement");
  }
  // libpq has no client-side timeout; the server's statement_timeout does nothing when the network is
  // gone. Wait on the socket for the time left, then give up and close.
  for (;;) {
    int flushed = PQflush(m_connection);
    if (PQconsumeInput(m_connection) != 1) {
      throw failure(nullptr, "lost the connection");
    }
    if (flushed == 0 && PQisBusy(m_connection) == 0) {
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      close();
      throw PgError(PgFailure::statement_timeout, "", "PostgreSQL did not answer in time; the connection was closed");
    }
    pollfd socket{PQsocket(m_connection), static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
    if (::poll(&socket, 1, static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) {
      throw failure(nullptr, "cannot wait for the server");
    }
  }
  // Every result of the statement, keeping the first failure or the last rows.
  pg_result* kept = nullptr;
  std::optional<PgError> error;
  while (pg_result* result = PQgetResult(m_connection)) {
    auto status = PQresultStatus(result);
    if ((status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) && !error) {
      error = failure(result, "the statement failed");
      PQclear(result);
    } else if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (kept) {
        PQclear(kept);
      }
      kept = result;
    } else {
      PQclear(result);
    }
  }
  if (error || kept == nullptr) {
    if (kept) {
      PQclear(kept);
    }
    throw error ? *error : failure(nullptr, "no answer to the statement");
  }
  return Rows(kept);
}

} // namespace keap::pgstore
