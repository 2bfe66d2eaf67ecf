#include "support/postgres.hpp"

#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keap::test {

namespace {

const std::string k_bin = "/usr/lib/postgresql/15/bin/";

/// A port the kernel had free a moment ago; the server may still lose it to someone else, which the
/// first start handles by trying another.
int free_port() {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listener);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(listener);
  return ntohs(address.sin_port);
}

std::string random_password() {
  std::random_device device;
  std::string password;
  for (int i = 0; i < 32; ++i) {
    password.push_back("0123456789abcdef"[device() % 16]);
  }
  return password;
}

/// Created 0600 from the start: the base folder is world-traversable so postgres can reach its data,
/// and a password must never be readable by others even for a moment.
void write_private(const std::string& path, const std::string& content, uid_t owner, gid_t group) {
  int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  bool written = file >= 0 && ::write(file, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  bool owned = file >= 0 && (::fchown(file, owner, group) == 0 || owner == ::geteuid());
  ::close(file);
  if (!written || !owned) {
    throw std::runtime_error("cannot write " + path);
  }
}

void make_folder(const std::string& path, unsigned mode, uid_t owner, gid_t group) {
  if (::mkdir(path.c_str(), mode) != 0 || ::chmod(path.c_str(), mode) != 0 ||
      ::chown(path.c_str(), owner, group) != 0) {
    throw std::runtime_error("cannot create " + path);
  }
}

std::string quote_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) {
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return quoted + "\"";
}

std::string percent_encode(const std::string& text) {
  std::string encoded;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(c);
    } else {
      char escape[4];
      std::snprintf(escape, sizeof escape, "%%%02X", static_cast<unsigned>(byte));
      encoded += escape;
    }
  }
  return encoded;
}

/// Whether `pid` is still the postmaster of `data` (a zombie no longer counts: it holds nothing). Checking
/// the command line keeps a recycled PID from being signalled.
bool is_server(pid_t pid, const std::string& data) {
  auto status = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto state = status.rfind(") ");
  if (status.empty() || (state != std::string::npos && status.compare(state + 2, 1, "Z") == 0)) {
    return false;
  }
  auto command = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return command.find(data) != std::string::npos;
}

bool wait_until_gone(pid_t pid, const std::string& data, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (is_server(pid, data)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

} // namespace

PostgresCluster::PostgresCluster() {
  try {
    prepare_folders();
    initdb();
    start_on_a_free_port();
  } catch (...) {
    kill_server();
    throw;
  }
}

PostgresCluster::~PostgresCluster() { kill_server(); }

void PostgresCluster::prepare_folders() {
  m_as_postgres = ::geteuid() == 0;
  m_owner_uid = ::geteuid();
  m_owner_gid = ::getegid();
  if (m_as_postgres) {
    // initdb and postgres refuse to run as root.
    const passwd* postgres = ::getpwnam("postgres");
    if (postgres == nullptr) {
      throw std::runtime_error("running as root, but there is no postgres user to run the server as");
    }
    m_owner_uid = postgres->pw_uid;
    m_owner_gid = postgres->pw_gid;
  }
  // The base is ours; postgres only needs to traverse it and to own what it writes below.
  if (::chmod(m_base.path().c_str(), 0755) != 0) {
    throw std::runtime_error("cannot open up " + m_base.path());
  }
  m_data = m_base.file("data");
  m_socket_folder = m_base.file("socket");
  m_log = m_base.file("server.log");
  m_passfile = m_base.file("pgpass");
  make_folder(m_data, 0700, m_owner_uid, m_owner_gid);
  make_folder(m_socket_folder, 0700, m_owner_uid, m_owner_gid);
  write_private(m_log, "", m_owner_uid, m_owner_gid);
  m_password = random_password();
  write_private(m_passfile, "*:*:*:postgres:" + m_password + "\n", ::geteuid(), ::getegid());
}

std::vector<std::string> PostgresCluster::as_owner(std::vector<std::string> argv) const {
  if (m_as_postgres) {
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=" + std::to_string(m_owner_uid),
                               "--regid=" + std::to_string(m_owner_gid), "--clear-groups", "--"});
  }
  return argv;
}

void PostgresCluster::initdb() {
  auto password_file = m_base.file("initdb-password");
  write_private(password_file, m_password + "\n", m_owner_uid, m_owner_gid);
  auto result = run(as_owner({k_bin + "initdb", "-D", m_data, "-U", "postgres", "--pwfile=" + password_file,
                              "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                              "--locale=C.UTF-8", "--no-sync"}),
                    {}, m_base.path());
  ::unlink(password_file.c_str());
  if (result.exit_code != 0) {
    throw std::runtime_error("initdb failed (exit " + std::to_string(result.exit_code) + "):\n" + result.out +
                             result.err);
  }
}

ProcessResult PostgresCluster::start_server() {
  auto options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(m_port) + " -k " + m_socket_folder +
                 " -c fsync=off -c full_page_writes=off";
  auto result = run(as_owner({k_bin + "pg_ctl", "-D", m_data, "-l", m_log, "-w", "-t", "30", "-o", options, "start"}),
                    {}, m_base.path());
  // The first line of postmaster.pid, which the server writes before pg_ctl sees it ready.
  auto pid = std::atoi(read_file(m_data + "/postmaster.pid").c_str());
  m_server_pid = pid > 0 ? pid : -1;
  return result;
}

void PostgresCluster::start_on_a_free_port() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    m_port = free_port();
    auto result = start_server();
    if (result.exit_code == 0) {
      return;
    }
    kill_server();
    if (log().find("could not bind IPv4 address") == std::string::npos) {
      fail("pg_ctl start failed (exit " + std::to_string(result.exit_code) + "): " + result.out + result.err);
    }
  }
  fail("no free loopback port for the server after 5 attempts");
}

void PostgresCluster::kill_server() noexcept {
  if (m_server_pid <= 0) {
    auto pid = std::atoi(read_file(m_data + "/postmaster.pid").c_str());
    m_server_pid = pid > 0 ? pid : -1;
  }
  if (m_server_pid > 0 && is_server(m_server_pid, m_data)) {
    // SIGQUIT is the immediate shutdown: nothing to keep, and the postmaster still takes its backends
    // and shared memory with it, unlike SIGKILL.
    ::kill(m_server_pid, SIGQUIT);
    if (!wait_until_gone(m_server_pid, m_data, std::chrono::seconds(10))) {
      ::kill(m_server_pid, SIGKILL);
      wait_until_gone(m_server_pid, m_data, std::chrono::seconds(5));
    }
  }
  m_server_pid = -1;
}

std::string PostgresCluster::url(const std::string& database, int port) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port == 0 ? m_port : port) + "/" +
         percent_encode(database) + "?sslmode=disable&connect_timeout=5";
}

ProcessResult PostgresCluster::run_client(const std::vector<std::string>& argv,
                                          const std::optional<std::string>& stdin_text) const {
  return run(argv, {{"PGPASSFILE", m_passfile}}, {}, stdin_text);
}

void PostgresCluster::create_database(const std::string& name) { query("CREATE DATABASE " + quote_identifier(name)); }

std::string PostgresCluster::query(const std::string& sql, const std::string& database) const {
  auto result =
      run_client({k_bin + "psql", "-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url(database)}, sql);
  if (result.exit_code != 0) {
    throw std::runtime_error("psql failed (exit " + std::to_string(result.exit_code) + ") on: " + sql + "\n" +
                             result.err);
  }
  return result.out;
}

std::string PostgresCluster::dump(const std::string& database) const {
  auto result = run_client({k_bin + "pg_dump", "-w", "-F", "p", "-d", url(database)}, std::nullopt);
  if (result.exit_code != 0) {
    throw std::runtime_error("pg_dump failed (exit " + std::to_string(result.exit_code) + "):\n" + result.err);
  }
  return result.out;
}

void PostgresCluster::stop(const std::string& mode) {
  auto result =
      run(as_owner({k_bin + "pg_ctl", "-D", m_data, "-m", mode, "-w", "-t", "30", "stop"}), {}, m_base.path());
  if (result.exit_code != 0) {
    fail("pg_ctl stop -m " + mode + " failed (exit " + std::to_string(result.exit_code) + "): " + result.out +
         result.err);
  }
  m_server_pid = -1;
}

void PostgresCluster::start() {
  auto result = start_server();
  if (result.exit_code != 0) {
    fail("pg_ctl start failed (exit " + std::to_string(result.exit_code) + "): " + result.out + result.err);
  }
}

void PostgresCluster::restart(const std::string& mode) {
  stop(mode);
  start();
}

std::string PostgresCluster::log() const { return read_file(m_log); }

void PostgresCluster::fail(const std::string& what) const {
  throw std::runtime_error(what + "\n--- server log " + m_log + " ---\n" + log());
}

} // namespace keap::test
