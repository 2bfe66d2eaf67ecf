#include "support/tcp_proxy.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace keap::test {

namespace {

constexpr size_t k_buffer_limit = size_t{1} << 20; ///< per direction, before the proxy stops reading
constexpr size_t k_payload_kept = 4096;            ///< longer SQL cannot be a bare COMMIT worth spotting
constexpr uint32_t k_ssl_request = 80877103;
constexpr uint32_t k_gssenc_request = 80877104;

uint32_t big_endian(std::string_view bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

bool is_commit(std::string_view sql) {
  auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  auto trim = [&](std::string_view text) {
    while (!text.empty() && blank(text.front())) {
      text.remove_prefix(1);
    }
    while (!text.empty() && blank(text.back())) {
      text.remove_suffix(1);
    }
    return text;
  };
  sql = trim(sql);
  if (sql.ends_with(';')) {
    sql = trim(sql.substr(0, sql.size() - 1));
  }
  return sql.size() == 6 && std::equal(sql.begin(), sql.end(), "commit",
                                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

/// The NUL-terminated string at `offset` of a payload, or nothing when it does not end inside it.
std::optional<std::string_view> c_string(std::string_view payload, size_t offset) {
  auto end = payload.find('\0', std::min(offset, payload.size()));
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  return payload.substr(offset, end - offset);
}

/// Follows the framing of the client->server half of a PostgreSQL connection, to spot the message that
/// commits; bytes may come in any pieces.
class FrontendFraming {
public:
  /// Feeds the next bytes from the client. When `watching` and they complete a COMMIT (a simple Query, or
  /// the Sync after a Parse of COMMIT, since the server runs nothing before it), returns how many of
  /// these bytes reach up to the end of that message.
  std::optional<size_t> feed(std::string_view bytes, bool watching) {
    size_t used = 0;
    while (used < bytes.size() && !m_opaque) {
      size_t header_size = m_startup ? 4 : 5;
      if (m_header.size() < header_size) {
        size_t take = std::min(header_size - m_header.size(), bytes.size() - used);
        m_header.append(bytes.substr(used, take));
        used += take;
        if (m_header.size() < header_size || !begin_message()) {
          continue;
        }
      } else {
        size_t take = std::min(m_left, bytes.size() - used);
        if (m_payload.size() < k_payload_kept) {
          m_payload.append(bytes.substr(used, std::min(take, k_payload_kept - m_payload.size())));
        }
        m_left -= take;
        used += take;
      }
      if (m_left == 0 && end_message() && watching) {
        return used;
      }
    }
    return std::nullopt;
  }

  bool awaiting_encryption_answer() const { return m_awaiting_answer; }

  /// 'S' or 'G' turns the rest of the stream into TLS or GSSAPI, which has no frames to follow; 'N'
  /// means the client sends a StartupMessage next.
  void encryption_answer(char answer) {
    m_awaiting_answer = false;
    m_opaque = answer != 'N';
  }

private:
  /// Reads the header; false (and no more following) when its length cannot be one.
  bool begin_message() {
    std::string_view header(m_header);
    m_type = m_startup ? '\0' : header[0];
    uint32_t length = big_endian(header.substr(m_startup ? 0 : 1));
    if (length < 4) {
      m_opaque = true;
      return false;
    }
    m_left = length - 4;
    m_payload.clear();
    return true;
  }

  /// Whether the message just completed commits.
  bool end_message() {
    bool truncated = m_payload.size() >= k_payload_kept;
    bool commits = false;
    if (m_startup) {
      uint32_t code = m_payload.size() >= 4 ? big_endian(m_payload) : 0;
      m_awaiting_answer = code == k_ssl_request || code == k_gssenc_request;
      m_startup = m_awaiting_answer; // after an SSLRequest refused, a StartupMessage comes again
    } else if (m_type == 'Q') {
      auto sql = c_string(m_payload, 0);
      commits = !truncated && sql && is_commit(*sql);
    } else if (m_type == 'P') {
      auto name = c_string(m_payload, 0);
      auto sql = name ? c_string(m_payload, name->size() + 1) : std::nullopt;
      m_parsed_commit = m_parsed_commit || (!truncated && sql && is_commit(*sql));
    } else if (m_type == 'S') {
      commits = m_parsed_commit;
      m_parsed_commit = false;
    }
    m_header.clear();
    m_payload.clear();
    return commits;
  }

  bool m_startup = true; ///< the next message is a StartupMessage, SSLRequest or GSSENCRequest: no type byte
  bool m_awaiting_answer = false;
  bool m_opaque = false;
  bool m_parsed_commit = false; ///< a Parse of COMMIT waits for its Sync
  std::string m_header;
  char m_type = 0;
  size_t m_left = 0; ///< payload bytes of the current message still to come
  std::string m_payload;
};

enum class Phase {
  relaying,
  awaiting_commit_answer, ///< the COMMIT went to the server; its answer shows it has committed
  draining,               ///< the client side is closed; the server's answers go nowhere until it hangs up
};

/// One client and its server; closing both sockets on destruction is how every mode ends one.
struct Connection {
  int client = -1;
  int server = -1;
  bool connecting = true;
  bool client_ended = false; ///< no more bytes will come from the client
  bool server_ended = false;
  bool server_shut = false; ///< the server has been sent our FIN
  bool client_shut = false;
  Phase phase = Phase::relaying;
  std::string to_server;
  std::string to_client;
  FrontendFraming framing;

  ~Connection() {
    close_client();
    ::close(server);
  }
  void close_client() {
    ::close(client);
    client = -1;
    client_ended = client_shut = true;
    to_client.clear();
  }
  short client_events() const {
    if (client < 0) {
      return 0;
    }
    bool reading = phase == Phase::relaying && !client_ended && to_server.size() < k_buffer_limit;
    return static_cast<short>((reading ? POLLIN : 0) | (to_client.empty() ? 0 : POLLOUT));
  }
  short server_events() const {
    if (connecting) {
      return POLLOUT;
    }
    bool reading = !server_ended && (phase != Phase::relaying || to_client.size() < k_buffer_limit);
    return static_cast<short>((reading ? POLLIN : 0) | (to_server.empty() ? 0 : POLLOUT));
  }
};

void set_no_delay(int socket) {
  // PostgreSQL messages are small; Nagle would hold them back for the delayed ACK.
  int on = 1;
  ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

std::unique_ptr<Connection> open_connection(int client, int target_port) {
  auto connection = std::make_unique<Connection>();
  connection->client = client;
  connection->server = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  set_no_delay(client);
  set_no_delay(connection->server);
  auto address = loopback(target_port);
  if (::connect(connection->server, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    connection->connecting = false;
  } else if (errno != EINPROGRESS) {
    return nullptr; // the client sees its connection closed, as it would with nothing listening
  }
  return connection;
}

/// Sends what `buffer` holds; false when the peer is gone.
bool flush(int socket, std::string& buffer) {
  while (!buffer.empty()) {
    auto sent = ::send(socket, buffer.data(), buffer.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    buffer.erase(0, static_cast<size_t>(sent));
  }
  return true;
}

/// Receives into `chunk`: its size, 0 at the end of the stream, nothing when there is nothing yet, and
/// -1 when the peer is gone.
std::optional<ssize_t> receive(int socket, char* chunk, size_t size) {
  auto count = ::recv(socket, chunk, size, 0);
  if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    return std::nullopt;
  }
  return count;
}

/// Reads from the client; true in `dropped` when that completed the COMMIT whose answer is to be lost.
bool read_client(Connection& connection, bool watching, bool& dropped) {
  char chunk[65536];
  auto count = receive(connection.client, chunk, sizeof chunk);
  if (!count) {
    return true;
  }
  if (*count <= 0) {
    connection.client_ended = true;
    return *count == 0;
  }
  std::string_view bytes(chunk, static_cast<size_t>(*count));
  auto commit_end = connection.framing.feed(bytes, watching);
  if (commit_end) {
    // Whatever the client sent after the COMMIT is never meant to arrive.
    bytes = bytes.substr(0, *commit_end);
    connection.phase = Phase::awaiting_commit_answer;
    dropped = true;
  }
  connection.to_server.append(bytes);
  return true;
}

bool read_server(Connection& connection) {
  char chunk[65536];
  auto count = receive(connection.server, chunk, sizeof chunk);
  if (!count) {
    return true;
  }
  if (*count < 0) {
    return false;
  }
  if (*count > 0 && connection.framing.awaiting_encryption_answer()) {
    connection.framing.encryption_answer(chunk[0]);
  }
  connection.server_ended = *count == 0;
  if (connection.phase == Phase::relaying) {
    connection.to_client.append(chunk, static_cast<size_t>(*count));
  } else if (connection.phase == Phase::awaiting_commit_answer) {
    connection.close_client();
    connection.phase = Phase::draining;
  }
  return true;
}

/// Moves what the poll allows; false when the connection is over, whichever way.
bool step(Connection& connection, short client_events, short server_events, bool watching, bool& dropped) {
  if (connection.connecting && server_events != 0) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(connection.server, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      return false;
    }
    connection.connecting = false;
    server_events = 0; // the writability was the connect's; reading waits for the next poll
  }
  // After a COMMIT nothing more is taken from the client, even when it hangs up.
  bool client_readable = connection.phase == Phase::relaying && (client_events & (POLLIN | POLLHUP | POLLERR)) != 0;
  if (client_readable && !read_client(connection, watching, dropped)) {
    return false;
  }
  if ((server_events & (POLLIN | POLLHUP | POLLERR)) != 0 && !read_server(connection)) {
    return false;
  }
  if (!connection.connecting && !flush(connection.server, connection.to_server)) {
    return false;
  }
  if (connection.client >= 0 && !flush(connection.client, connection.to_client)) {
    return false;
  }
  // Pass each end of the stream on once everything before it has gone out.
  if (connection.client_ended && !connection.connecting && connection.to_server.empty() && !connection.server_shut) {
    ::shutdown(connection.server, SHUT_WR);
    connection.server_shut = true;
  }
  if (connection.server_ended && connection.to_client.empty() && !connection.client_shut) {
    ::shutdown(connection.client, SHUT_WR);
    connection.client_shut = true;
  }
  return !(connection.client_ended && connection.server_ended && connection.to_server.empty() &&
           connection.to_client.empty());
}

} // namespace

TcpProxy::TcpProxy(int target_port) : m_target_port(target_port) {
  m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  socklen_t length = sizeof address;
  if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listener, 128) != 0 ||
      ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(m_listener);
    throw std::runtime_error("the proxy cannot listen on 127.0.0.1");
  }
  m_port = ntohs(address.sin_port);
  m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m_wake < 0) {
    ::close(m_listener);
    throw std::runtime_error("the proxy cannot create its eventfd");
  }
  m_thread = std::thread([this] { serve(); });
}

TcpProxy::~TcpProxy() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(m_wake, &one, sizeof one);
  m_thread.join();
  ::close(m_listener);
  ::close(m_wake);
}

void TcpProxy::set_mode(Mode mode) {
  std::unique_lock lock(m_mutex);
  m_mode = mode;
  m_cuts += mode == Mode::cut ? 1 : 0;
  auto request = ++m_requests;
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(m_wake, &one, sizeof one);
  m_applied_changed.wait(lock, [&] { return m_applied >= request; });
}

TcpProxy::Mode TcpProxy::mode() const {
  std::lock_guard lock(m_mutex);
  return m_mode;
}

size_t TcpProxy::connections() const {
  std::lock_guard lock(m_mutex);
  return m_connections;
}

size_t TcpProxy::commits_dropped() const {
  std::lock_guard lock(m_mutex);
  return m_commits_dropped;
}

std::optional<TcpProxy::Mode> TcpProxy::take_up_mode(uint64_t& cuts) {
  std::lock_guard lock(m_mutex);
  cuts = m_cuts;
  m_applied = m_requests;
  m_applied_changed.notify_all();
  return m_stopping ? std::nullopt : std::optional(m_mode);
}

void TcpProxy::note_dropped_commit() {
  std::lock_guard lock(m_mutex);
  ++m_commits_dropped;
  if (m_mode == Mode::drop_commit_reply) {
    m_mode = Mode::pass;
  }
}

void TcpProxy::serve() {
  std::vector<std::unique_ptr<Connection>> connections;
  uint64_t cuts_done = 0;
  std::vector<pollfd> descriptors;
  for (;;) {
    uint64_t cuts = 0;
    auto taken = take_up_mode(cuts);
    if (!taken) {
      return;
    }
    auto mode = *taken;
    if (cuts != cuts_done) {
      connections.clear();
      cuts_done = cuts;
    }
    // Two entries per connection, -1 for a socket with nothing to wait for: a stalled or idle socket
    // that has hung up would otherwise wake the poll again and again.
    descriptors.assign({{m_wake, POLLIN, 0}, {m_listener, POLLIN, 0}});
    for (const auto& connection : connections) {
      bool moving = mode != Mode::stall;
      short client_events = moving ? connection->client_events() : 0;
      short server_events = moving ? connection->server_events() : 0;
      descriptors.push_back({client_events != 0 ? connection->client : -1, client_events, 0});
      descriptors.push_back({server_events != 0 ? connection->server : -1, server_events, 0});
    }
    if (::poll(descriptors.data(), descriptors.size(), -1) < 0) {
      continue;
    }
    if (descriptors[0].revents != 0) {
      uint64_t count = 0;
      [[maybe_unused]] auto drained = ::read(m_wake, &count, sizeof count);
      continue; // the mode may have changed: take it up before moving a byte
    }
    if (descriptors[1].revents != 0) {
      for (int client; (client = ::accept4(m_listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
        {
          std::lock_guard lock(m_mutex);
          ++m_connections;
        }
        if (mode == Mode::cut) {
          ::close(client);
        } else if (auto connection = open_connection(client, m_target_port)) {
          connections.push_back(std::move(connection));
        }
      }
    }
    // Accepted connections have no entries yet; they join in the next round. Stalled ones stay still.
    size_t polled = mode == Mode::stall ? 0 : (descriptors.size() - 2) / 2;
    for (size_t i = 0; i < polled; ++i) {
      bool dropped = false;
      bool open = step(*connections[i], descriptors[2 + 2 * i].revents, descriptors[3 + 2 * i].revents,
                       mode == Mode::drop_commit_reply, dropped);
      if (dropped) {
        note_dropped_commit();
        mode = Mode::pass;
      }
      if (!open) {
        connections[i].reset();
      }
    }
    std::erase(connections, nullptr);
  }
}

} // namespace keap::test
