#pragma once

#include "support/process.hpp"

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace keap::test {

/// A throwaway PostgreSQL 15 cluster for one test: initdb into a fresh temp folder, a free loopback port
/// (bind 127.0.0.1:0 to find one), a private Unix socket folder, fsync off; stopped by its PID and removed
/// in the destructor. As root, initdb and the server run as the `postgres` system user (setpriv); otherwise
/// as the current user. Never touches Debian's own 15/main cluster.
class PostgresCluster {
public:
  PostgresCluster();  ///< initdb + start; throws std::runtime_error carrying the server log on failure
  ~PostgresCluster(); ///< stop (immediate) and rm -rf, never throws
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  int port() const { return m_port; }
  const std::string& socket_folder() const { return m_socket_folder; }
  /// A 0600 pgpass file holding the superuser's random password, matching any host and port
  /// ("*:*:*:postgres:PW"), so connections through a proxy on another port and through the socket work.
  const std::string& passfile() const { return m_passfile; }
  /// postgresql://postgres@127.0.0.1:PORT/DATABASE?sslmode=disable&connect_timeout=5 (port 0 = the
  /// cluster's own port)
  std::string url(const std::string& database = "postgres", int port = 0) const;
  void create_database(const std::string& name);
  /// Runs SQL with psql -X -w -q -A -t -v ON_ERROR_STOP=1 (the SQL on stdin, so each statement runs on its
  /// own; the password only through PGPASSFILE); returns stdout; throws with stderr on error.
  std::string query(const std::string& sql, const std::string& database = "postgres") const;
  std::string dump(const std::string& database) const; ///< pg_dump -F p of the database, as text
  void stop(const std::string& mode = "fast");         ///< pg_ctl stop -m MODE -w
  void start();                                        ///< with the same options as the first start
  void restart(const std::string& mode = "fast");
  std::string log() const; ///< the server log so far

private:
  std::vector<std::string> as_owner(std::vector<std::string> argv) const;
  void prepare_folders();
  void initdb();
  void start_on_a_free_port();
  ProcessResult start_server();
  ProcessResult run_client(const std::vector<std::string>& argv, const std::optional<std::string>& stdin_text) const;
  void kill_server() noexcept;
  [[noreturn]] void fail(const std::string& what) const;

  TempDir m_base;
  std::string m_data;
  std::string m_socket_folder;
  std::string m_passfile;
  std::string m_log;
  std::string m_password;
  int m_port = 0;
  pid_t m_server_pid = -1;
  bool m_as_postgres = false;
  uid_t m_owner_uid = 0;
  gid_t m_owner_gid = 0;
};

} // namespace keap::test
