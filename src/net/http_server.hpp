#pragma once

#include "net/http_client.hpp"
#include "net/tls_identity.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

/// The one HTTP server of keap-auth (the login's receiver, the emulator, the agent): event-driven on
/// Boost.Beast, so a client that connects and stalls costs a socket and a few kilobytes, never a
/// thread, and every request is read whole within limits before any handler sees it.
namespace keap::net {

/// The process at the other end of a Unix socket, as the kernel vouches for it (SO_PEERCRED).
struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// A request as the server read it: its line, headers and body all within the limits.
struct ServerRequest {
  std::string method;
  std::string target; ///< as sent
  std::string path;   ///< the target up to '?'
  std::string query;  ///< after '?', without it
  int version = 11;   ///< 10 or 11
  Headers headers;    ///< names as sent, in order
  std::string body;
  std::optional<Peer> peer; ///< on a Unix socket: who asked; over TCP: nothing (the kernel cannot say)

  /// The first value of a header (any case), or empty.
  std::string header(std::string_view name) const;
  /// How many times a header came (any case).
  size_t count(std::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  Headers headers; ///< Content-Length and Connection are the server's to set
  std::string body;
  bool close = false; ///< close the connection after this answer
};

/// What a server accepts. A request that breaks one is answered by the server itself (400, 408,
/// 413, 414, 431) and the connection closed; the handler never sees it.
struct ServerLimits {
  size_t header_bytes = 16 * 1024; ///< the request line and every header together
  size_t header_lines = 100;
  size_t target_bytes = 8 * 1024;
  size_t body_bytes = 64 * 1024;
  /// A request's line and headers must all arrive within this, however slowly the bytes come; for a
  /// connection's first request it runs from the connection, for later ones from their first byte.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000}; ///< between requests on a kept-alive connection
  std::chrono::milliseconds body_timeout{60000}; ///< the whole body
  std::chrono::milliseconds write_timeout{60000};
  size_t max_connections = 1024;
  bool keep_alive = true; ///< false: one request per connection
};

/// The body of the answer the server gives by itself to a request it refuses (status, reason); HTML
/// for a browser's server, JSON for the agent's.
using RefusalPage = std::function<ServerResponse(int status, const std::string& reason)>;

/// A response sent piece by piece: chunked, unless the head says its Content-Length (then exactly
/// that many bytes must follow). Thread-safe.
class ResponseStream {
public:
  virtual ~ResponseStream() = default;
  /// Queues `data`; `written(true)` once it has gone to the client, `written(false)` when the client is
  /// gone. The next write should wait for that call: it is the stream's back-pressure.
  virtual void write(std::string data, std::function<void(bool written)> done) = 0;
  /// Ends the response (the last chunk); the connection then serves its next request.
  virtual void finish() = 0;
  /// Closes the connection without ending the response (the client sees it cut short).
  virtual void abort() = 0;
  /// Calls `action` after `delay` on the connection's own thread, unless the server stops first.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> action) = 0;
};

namespace detail {
class Exchange;
}

/// The way to answer one request, from any thread, once. Copies share the one answer. If every copy is
/// dropped without an answer, the client gets a 500 rather than waiting forever.
class Responder {
public:
  explicit Responder(std::shared_ptr<detail::Exchange> exchange) : m_exchange(std::move(exchange)) {}

  /// Sends `response` after `delay` (0: now).
  void send(ServerResponse response, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) const;
  /// Writes `bytes` exactly as they are after `delay`, then closes: for an emulator that plays a
  /// broken server (a body cut short, headers and no body).
  void send_raw(std::string bytes, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) const;
  /// Starts a streamed response with `head`'s status and headers (its body is ignored).
  std::shared_ptr<ResponseStream> stream(const ServerResponse& head) const;

private:
  std::shared_ptr<detail::Exchange> m_exchange;
};

using RequestHandler = std::function<void(ServerRequest request, Responder responder)>;

class HttpServer {
public:
  /// `tls`: serve HTTPS with this identity (Error, exit 2, naming its file when it cannot be used).
  HttpServer(RequestHandler handler, ServerLimits limits, RefusalPage refusal, const TlsIdentity* tls = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and listens on `host` (a literal address) and `port` (0: any free one); returns the port.
  /// SO_REUSEADDR only, never SO_REUSEPORT (another process could share the port and take its
  /// requests), and a full backlog. Error (exit 2) naming `purpose` and the address when the port is
  /// taken or the address is not on this machine; `hint` says what to change.
  int listen_tcp(const std::string& host, int port, const std::string& purpose, const std::string& hint);

  /// Listens on the Unix socket `path`, which is created with `mode` (and group `group`, when given)
  /// before anyone can connect to it: it is made in a private folder beside `path`, then renamed into
  /// place. A socket left there by a process that is gone is replaced; Error (exit 2) when one still
  /// answers ("already listens"), or when `path` is something else, naming `purpose`.
  void listen_unix(const std::string& path, unsigned mode, std::optional<gid_t> group, const std::string& purpose);

  /// Serves a listening socket it is handed (systemd's socket activation: LISTEN_FDS), Unix or TCP.
  /// Error (exit 2) when `fd` is not a listening stream socket.
  void adopt(int fd, const std::string& purpose);

  /// Serves on `threads` background threads until stop().
  void start(int threads = 1);

  /// Stops accepting; waits at most `grace` for the answers in progress (a page being written, a
  /// handler that has not answered yet), then closes every connection and joins the threads.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(300));

  /// Connections open now.
  size_t connections() const;

  struct Impl; ///< the library's side, opaque

private:
  std::unique_ptr<Impl> m_impl;
};

/// The reason phrase of a status for a status line ("Not Found"), or "Unknown".
std::string reason_phrase_of(int status);

} // namespace keap::net
