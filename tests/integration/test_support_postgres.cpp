// The test support for database code: a throwaway PostgreSQL 15 cluster and a proxy that partitions it,
// proved against the real server, so that a failing database test can be trusted to be about the code
// under test and not about its scaffolding.
#include "support/postgres.hpp"
#include "support/process.hpp"
#include "support/tcp_proxy.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace keap::test;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

const std::string k_bin = "/usr/lib/postgresql/15/bin/";

std::vector<std::string> psql(const std::string& url, const std::vector<std::string>& commands) {
  // -w: a missing password fails at once instead of asking on the developer's terminal.
  std::vector<std::string> argv{k_bin + "psql", "-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url};
  for (const auto& command : commands) {
    argv.insert(argv.end(), {"-c", command});
  }
  return argv;
}

std::map<std::string, std::string> password(const PostgresCluster& cluster) {
  return {{"PGPASSFILE", cluster.passfile()}};
}

/// A blocking loopback client socket with a receive timeout, so a missing answer fails the test.
int connect_to(int port) {
  int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(socket);
    return -1;
  }
  int on = 1;
  ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  timeval timeout{5, 0};
  ::setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return socket;
}

bool accepts_connections(int port) {
  int socket = connect_to(port);
  ::close(socket);
  return socket >= 0;
}

std::string int32(uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
          static_cast<char>(value)};
}

std::string untyped_message(const std::string& payload) {
  return int32(static_cast<uint32_t>(payload.size() + 4)) + payload;
}

std::string message(char type, const std::string& payload) { return type + untyped_message(payload); }

std::string startup_message() { return untyped_message(int32(196608) + "user\0commit\0database\0x\0\0"s); }

std::string query_message(const std::string& sql) { return message('Q', sql + '\0'); }

/// One byte per send, with pauses so that the proxy sees the messages in pieces.
void send_in_pieces(int socket, const std::string& bytes) {
  for (char byte : bytes) {
    REQUIRE(::send(socket, &byte, 1, MSG_NOSIGNAL) == 1);
    std::this_thread::sleep_for(1ms);
  }
}

std::string receive_exactly(int socket, size_t size) {
  std::string received(size, '\0');
  size_t done = 0;
  while (done < size) {
    auto count = ::recv(socket, received.data() + done, size - done, 0);
    if (count <= 0) {
      break;
    }
    done += static_cast<size_t>(count);
  }
  return received.substr(0, done);
}

/// True when the peer closes without sending another byte.
bool closed_without_data(int socket) {
  char byte = 0;
  auto count = ::recv(socket, &byte, 1, 0);
  return count == 0 || (count < 0 && errno == ECONNRESET);
}

/// Stands in for the server where the proxy's framing is tested byte by byte: answers an SSLRequest
/// with 'N' as PostgreSQL does when TLS is off, echoes everything else as it comes (so the echo of a
/// message begins before the message is whole), and records what it received.
class EchoServer {
public:
  EchoServer() {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(m_listener, 8) == 0);
    REQUIRE(::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    m_stopping = true;
    m_thread.join();
    ::close(m_listener);
  }
  int port() const { return m_port; }
  /// What the last connection has received, once it has ended.
  std::string received_by_ended_connection() const {
    std::lock_guard lock(m_mutex);
    return m_ended ? m_received : std::string();
  }

private:
  void serve() {
    while (!m_stopping) {
      pollfd descriptor{m_listener, POLLIN, 0};
      if (::poll(&descriptor, 1, 50) == 1) {
        int connection = ::accept(m_listener, nullptr, nullptr);
        echo(connection);
        ::close(connection);
      }
    }
  }
  void echo(int connection) {
    {
      std::lock_guard lock(m_mutex);
      m_received.clear();
      m_ended = false;
    }
    const std::string ssl_request = int32(8) + int32(80877103);
    std::string received;
    size_t echoed = 0;
    bool ssl_decided = false;
    char chunk[4096];
    for (ssize_t count; (count = ::recv(connection, chunk, sizeof chunk, 0)) > 0;) {
      received.append(chunk, static_cast<size_t>(count));
      if (!ssl_decided) {
        if (received.size() < ssl_request.size() && ssl_request.starts_with(received)) {
          continue; // perhaps an SSLRequest on its way
        }
        ssl_decided = true;
        if (received.starts_with(ssl_request)) {
          ::send(connection, "N", 1, MSG_NOSIGNAL);
          echoed = ssl_request.size();
        }
      }
      ::send(connection, received.data() + echoed, received.size() - echoed, MSG_NOSIGNAL);
      echoed = received.size();
    }
    std::lock_guard lock(m_mutex);
    m_received = received;
    m_ended = true;
  }

  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping = false;
  mutable std::mutex m_mutex;
  std::string m_received;
  bool m_ended = false;
  std::thread m_thread;
};

} // namespace

TEST_CASE("postgres support: a throwaway cluster answers queries, creates databases, and is gone afterwards",
          "[postgres][support]") {
  std::string socket_folder;
  int port = 0;
  {
    PostgresCluster cluster;
    socket_folder = cluster.socket_folder();
    port = cluster.port();
    REQUIRE(port != 5432);
    REQUIRE(socket_folder.size() < 90);
    REQUIRE(file_exists(socket_folder + "/.s.PGSQL." + std::to_string(port)));
    REQUIRE(file_mode(cluster.passfile()) == 0600);
    REQUIRE(cluster.url() ==
            "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres?sslmode=disable&connect_timeout=5");
    REQUIRE(cluster.query("select 1") == "1\n");
    REQUIRE(cluster.query("show fsync; show synchronous_commit; show listen_addresses") == "off\non\n127.0.0.1\n");

    cluster.create_database("app");
    cluster.query("create table items(id int primary key, name text); insert into items values (1, 'one'), (2, 'two')",
                  "app");
    REQUIRE(cluster.query("select string_agg(name, ',' order by id) from items", "app") == "one,two\n");
    auto dump = cluster.dump("app");
    REQUIRE(dump.find("CREATE TABLE public.items") != std::string::npos);
    REQUIRE(dump.find("1\tone") != std::string::npos);
    REQUIRE_THROWS_WITH(cluster.query("select * from missing", "app"),
                        Catch::Contains("relation \"missing\" does not exist"));

    // The Unix socket, with the same password file.
    auto through_socket = run(
        psql("host=" + socket_folder + " port=" + std::to_string(port) + " user=postgres dbname=app sslmode=disable",
             {"select count(*) from items"}),
        password(cluster));
    INFO(through_socket.err);
    REQUIRE(through_socket.exit_code == 0);
    REQUIRE(through_socket.out == "2\n");
    // Without the password file the server refuses: the trust of a default initdb is not there.
    auto without_password = run(psql(cluster.url(), {"select 1"}), {{"PGPASSFILE", "/nonexistent"}});
    REQUIRE(without_password.exit_code != 0);
    REQUIRE(without_password.err.find("password") != std::string::npos);
  }
  REQUIRE_FALSE(file_exists(socket_folder));
  REQUIRE_FALSE(accepts_connections(port));
}

TEST_CASE("postgres support: committed data survives a fast and an immediate restart", "[postgres][support]") {
  PostgresCluster cluster;
  cluster.create_database("app");
  cluster.query("create table events(id int); insert into events values (1)", "app");
  cluster.restart("fast");
  REQUIRE(cluster.query("select count(*) from events", "app") == "1\n");
  cluster.query("insert into events values (2)", "app");
  // A crash: only the WAL, written before the COMMIT returned (synchronous_commit), brings row 2 back.
  cluster.restart("immediate");
  REQUIRE(cluster.query("select string_agg(id::text, ',' order by id) from events", "app") == "1,2\n");
  auto log = cluster.log();
  REQUIRE(log.find("received immediate shutdown request") != std::string::npos);
  REQUIRE(log.find("database system was interrupted") != std::string::npos);

  cluster.stop();
  REQUIRE_THROWS(cluster.query("select 1"));
  cluster.start();
  REQUIRE(cluster.query("select count(*) from events", "app") == "2\n");
}

TEST_CASE("tcp proxy: pass forwards sessions to the cluster", "[postgres][support][proxy]") {
  PostgresCluster cluster;
  TcpProxy proxy(cluster.port());
  REQUIRE(proxy.port() != cluster.port());
  REQUIRE(proxy.mode() == TcpProxy::Mode::pass);
  auto result =
      run(psql(cluster.url("postgres", proxy.port()), {"select 1", "select inet_server_port()"}), password(cluster));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.out == "1\n" + std::to_string(cluster.port()) + "\n");
  REQUIRE(proxy.connections() == 1);
  // Both ways bigger than any socket buffer, so the proxy's own buffering and back-pressure are used.
  auto big_query = run(psql(cluster.url("postgres", proxy.port()), {}), password(cluster), {},
                       "select length('" + std::string(3'000'000, 'x') + "');\n");
  INFO(big_query.err);
  REQUIRE(big_query.exit_code == 0);
  REQUIRE(big_query.out == "3000000\n");
  auto many_rows =
      run(psql(cluster.url("postgres", proxy.port()), {"select repeat('z', 100) from generate_series(1, 50000)"}),
          password(cluster));
  REQUIRE(many_rows.exit_code == 0);
  std::string rows;
  for (int i = 0; i < 50000; ++i) {
    rows += std::string(100, 'z') + "\n";
  }
  REQUIRE((many_rows.out == rows)); // not decomposed: 5 MB in a failure message helps nobody
  REQUIRE(proxy.connections() == 3);
}

TEST_CASE("tcp proxy: stall holds traffic, old and new, until pass lets it go on", "[postgres][support][proxy]") {
  PostgresCluster cluster;
  TcpProxy proxy(cluster.port());
  auto url = cluster.url("postgres", proxy.port());
  Process running(psql(url, {"select pg_sleep(0.5)", "select 42"}), password(cluster));
  REQUIRE(eventually([&] { return proxy.connections() == 1; }));
  // Into its session, which cannot end before its sleep does.
  REQUIRE(eventually([&] {
    return cluster.query("select count(*) from pg_stat_activity where query = 'select pg_sleep(0.5)'") == "1\n";
  }));
  proxy.set_mode(TcpProxy::Mode::stall);
  auto stalled_at = std::chrono::steady_clock::now();
  REQUIRE(proxy.mode() == TcpProxy::Mode::stall);
  Process fresh(psql(url, {"select 7"}), password(cluster));
  REQUIRE(eventually([&] { return proxy.connections() == 2; }));
  std::this_thread::sleep_until(stalled_at + 1000ms);
  REQUIRE(running.running());
  REQUIRE(fresh.running());
  proxy.set_mode(TcpProxy::Mode::pass);
  auto old_result = running.wait(10s);
  auto new_result = fresh.wait(10s);
  INFO(old_result.err + new_result.err);
  REQUIRE(old_result.exit_code == 0);
  REQUIRE(old_result.out == "\n42\n");
  REQUIRE(new_result.exit_code == 0);
  REQUIRE(new_result.out == "7\n");
}

TEST_CASE("tcp proxy: cut ends running sessions at once and refuses new ones until pass",
          "[postgres][support][proxy]") {
  PostgresCluster cluster;
  TcpProxy proxy(cluster.port());
  auto url = cluster.url("postgres", proxy.port());
  Process sleeper(psql(url, {"select pg_sleep(20)"}), password(cluster));
  REQUIRE(eventually([&] {
    return cluster.query("select count(*) from pg_stat_activity where query = 'select pg_sleep(20)'") == "1\n";
  }));
  auto cut_at = std::chrono::steady_clock::now();
  proxy.set_mode(TcpProxy::Mode::cut);
  auto ended = sleeper.wait(10s);
  REQUIRE(std::chrono::steady_clock::now() - cut_at < 3s);
  REQUIRE(ended.exit_code == 2); // psql's "connection to the server was lost"
  REQUIRE(ended.err.find("server closed the connection unexpectedly") != std::string::npos);

  auto refused = run(psql(url, {"select 1"}), password(cluster));
  REQUIRE(refused.exit_code == 2);
  REQUIRE(proxy.connections() == 2);

  proxy.set_mode(TcpProxy::Mode::pass);
  auto again = run(psql(url, {"select 1"}), password(cluster));
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  REQUIRE(again.out == "1\n");
}

TEST_CASE("tcp proxy: drop_commit_reply loses the answer to a COMMIT that did happen", "[postgres][support][proxy]") {
  PostgresCluster cluster;
  TcpProxy proxy(cluster.port());
  auto url = cluster.url("postgres", proxy.port());

  // A simple Query, as psql sends each -c.
  proxy.set_mode(TcpProxy::Mode::drop_commit_reply);
  auto lost =
      run(psql(url, {"BEGIN", "CREATE TABLE t(x int)", "INSERT INTO t VALUES (1)", "  commit ; "}), password(cluster));
  REQUIRE(lost.exit_code == 2);
  REQUIRE(lost.err.find("server closed the connection unexpectedly") != std::string::npos);
  REQUIRE(proxy.commits_dropped() == 1);
  REQUIRE(proxy.mode() == TcpProxy::Mode::pass);
  REQUIRE(cluster.query("select count(*) from t") == "1\n"); // it was committed before the client knew

  // Back in pass by itself: the next COMMIT is answered.
  auto answered = run(psql(url, {"BEGIN", "INSERT INTO t VALUES (2)", "COMMIT"}), password(cluster));
  INFO(answered.err);
  REQUIRE(answered.exit_code == 0);
  REQUIRE(proxy.commits_dropped() == 1);
  REQUIRE(cluster.query("select count(*) from t") == "2\n");

  // Parse, Bind, Describe, Execute, Sync, as the extended protocol sends each statement.
  proxy.set_mode(TcpProxy::Mode::drop_commit_reply);
  TempDir dir;
  write_file(dir.file("script.sql"), "BEGIN;\nINSERT INTO t VALUES (3);\nSELECT 'COMMIT';\nCOMMIT;\n");
  auto extended =
      run({k_bin + "pgbench", "-n", "-M", "extended", "-t", "1", "-f", dir.file("script.sql"), url}, password(cluster));
  INFO(extended.out + extended.err);
  REQUIRE(extended.exit_code == 2);
  REQUIRE(extended.err.find("aborted in command 3") != std::string::npos); // COMMIT; SELECT 'COMMIT' went through
  REQUIRE(proxy.commits_dropped() == 2);
  REQUIRE(cluster.query("select count(*) from t") == "3\n");
}

TEST_CASE("tcp proxy: the framing holds with messages in pieces, an SSLRequest, and COMMIT look-alikes",
          "[support][proxy]") {
  EchoServer server;
  TcpProxy proxy(server.port());

  SECTION("a Parse of COMMIT counts at its Sync, after an SSLRequest was refused") {
    int client = connect_to(proxy.port());
    REQUIRE(client >= 0);
    proxy.set_mode(TcpProxy::Mode::drop_commit_reply);
    send_in_pieces(client, int32(8) + int32(80877103));
    REQUIRE(receive_exactly(client, 1) == "N");
    // Without following the framing, this startup would look like a Query of "COMMIT".
    auto startup = untyped_message(int32(196608) + "user\0x\0\0"s);
    auto look_alikes = query_message("SELECT 'COMMIT'") + query_message("COMMIT 1") +
                       message('P', "COMMIT\0SELECT 1\0\0\0"s) + message('S', "");
    auto parse = message('P', "s\0 COMMIT;\0\0\0"s) + message('B', "\0s\0\0\0\0\0\0\0"s) + message('E', "\0\0\0\0\0"s);
    send_in_pieces(client, startup + look_alikes + parse);
    REQUIRE(receive_exactly(client, startup.size() + look_alikes.size() + parse.size()) ==
            startup + look_alikes + parse);
    REQUIRE(proxy.commits_dropped() == 0);
    auto sync = message('S', "");
    send_in_pieces(client, sync.substr(0, 4));
    REQUIRE(receive_exactly(client, 4) == sync.substr(0, 4));
    send_in_pieces(client, sync.substr(4));
    REQUIRE(closed_without_data(client)); // the echo of the Sync's last byte is the answer that was lost
    ::close(client);
    REQUIRE(proxy.commits_dropped() == 1);
    REQUIRE(eventually([&] {
      return server.received_by_ended_connection() == int32(8) + int32(80877103) + startup + look_alikes + parse + sync;
    }));
  }

  SECTION("a simple Query of COMMIT in one-byte pieces, with what follows it never sent") {
    int client = connect_to(proxy.port());
    REQUIRE(client >= 0);
    auto before = startup_message() + query_message("select 1");
    send_in_pieces(client, before);
    REQUIRE(receive_exactly(client, before.size()) == before);
    proxy.set_mode(TcpProxy::Mode::drop_commit_reply);
    auto commit = query_message(" \n\tCoMmIt;  ");
    send_in_pieces(client, commit.substr(0, commit.size() - 1));
    REQUIRE(receive_exactly(client, commit.size() - 1) == commit.substr(0, commit.size() - 1));
    // Its last byte comes with the next message, in one read of the proxy's.
    auto rest = commit.substr(commit.size() - 1) + query_message("select 2");
    REQUIRE(::send(client, rest.data(), rest.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(rest.size()));
    REQUIRE(closed_without_data(client));
    ::close(client);
    REQUIRE(eventually([&] { return server.received_by_ended_connection() == before + commit; }));
    REQUIRE(proxy.mode() == TcpProxy::Mode::pass);
  }
}
