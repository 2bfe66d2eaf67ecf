#include "net/http_server.hpp"

#include "core/error.hpp"
#include "net/asio.hpp"
#include "net/http_reader.hpp"
#include "net/http_status.hpp"
#include "net/wire.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keap::net {

namespace detail {

/// A connection as a Responder sees it: somewhere an answer can be delivered, from any thread.
class Connection {
public:
  virtual ~Connection() = default;
  virtual void answer(ServerResponse response, std::chrono::milliseconds delay) = 0;
  virtual void answer_raw(std::string bytes, std::chrono::milliseconds delay) = 0;
  virtual std::shared_ptr<ResponseStream> open_stream(const ServerResponse& head) = 0;
  /// False once the server stops: nothing more is written then.
  virtual bool accepting_answers() const = 0;
};

/// One request's answer, shared by the copies of its Responder.
class Exchange {
public:
  explicit Exchange(std::shared_ptr<Connection> connection) : m_connection(std::move(connection)) {}
  ~Exchange() {
    if (claim() && m_connection->accepting_answers()) {
      m_connection->answer({500, {}, "the request was not answered\n", true}, std::chrono::milliseconds(0));
    }
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// True for the first caller only: the one that answers.
  bool claim() { return !m_answered.exchange(true); }
  Connection& connection() { return *m_connection; }

private:
  std::shared_ptr<Connection> m_connection;
  std::atomic<bool> m_answered{false};
};

} // namespace detail

void Responder::send(ServerResponse response, std::chrono::milliseconds delay) const {
  if (m_exchange->claim()) {
    m_exchange->connection().answer(std::move(response), delay);
  }
}

void Responder::send_raw(std::string bytes, std::chrono::milliseconds delay) const {
  if (m_exchange->claim()) {
    m_exchange->connection().answer_raw(std::move(bytes), delay);
  }
}

std::shared_ptr<ResponseStream> Responder::stream(const ServerResponse& head) const {
  if (!m_exchange->claim()) {
    return nullptr;
  }
  return m_exchange->connection().open_stream(head);
}

std::string ServerRequest::header(std::string_view name) const { return header_value(headers, name); }

size_t ServerRequest::count(std::string_view name) const {
  size_t found = 0;
  for (const auto& [key, value] : headers) {
    found += same_token(key, name) ? 1U : 0U;
  }
  return found;
}

std::string reason_phrase_of(int status) {
  auto described = describe_status(status); // "HTTP 404 (Not Found)"
  auto open = described.find('(');
  return open == std::string::npos ? "Unknown" : described.substr(open + 1, described.size() - open - 2);
}

namespace {

using Milliseconds = std::chrono::milliseconds;

/// What every connection of a server shares: the handler, the limits and the open connections (so
/// stop() can end them).
struct Shared {
  RequestHandler handler;
  ServerLimits limits;
  RefusalPage refusal;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::map<unsigned long long, std::weak_ptr<void>> open; ///< every live session, by id
  std::map<unsigned long long, std::function<void()>> closers;
  unsigned long long next_id = 0;
  std::function<void()> room_again; ///< set by the server: a connection ended, accept again
};

/// The bytes of a response head: status line, the headers that are fit to send, and the framing.
std::string serialize_head(const ServerResponse& response, const std::optional<size_t>& content_length, bool chunked,
                           bool close) {
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase_of(response.status) + "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (valid_header(name, value) && !same_token(name, "Content-Length") && !same_token(name, "Connection") &&
        !same_token(name, "Transfer-Encoding")) {
      head += name + ": " + value + "\r\n";
    }
  }
  if (content_length) {
    head += "Content-Length: " + std::to_string(*content_length) + "\r\n";
  }
  if (chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  }
  if (close) {
    head += "Connection: close\r\n";
  }
  return head + "\r\n";
}

bool bodiless_status(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

template <class Stream> class Session;

/// A streamed response on a session; every call hops onto the session's strand.
template <class Stream> class SessionStream : public ResponseStream {
public:
  SessionStream(std::shared_ptr<Session<Stream>> session, bool chunked)
      : m_session(std::move(session)), m_chunked(chunked) {}
  void write(std::string data, std::function<void(bool)> done) override {
    if (data.empty()) {
      done(true);
      return;
    }
    if (m_chunked) {
      data = to_hex(data.size()) + "\r\n" + data + "\r\n";
    }
    m_session->post([session = m_session, data = std::move(data), done = std::move(done)]() mutable {
      session->stream_write(std::move(data), std::move(done));
    });
  }
  void finish() override {
    m_session->post([session = m_session, chunked = m_chunked] { session->stream_finish(chunked); });
  }
  void abort() override {
    m_session->post([session = m_session] { session->close(); });
  }
  void after(Milliseconds delay, std::function<void()> action) override { m_session->after(delay, std::move(action)); }

private:
  static std::string to_hex(size_t value) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string text;
    do {
      text.insert(text.begin(), k_digits[value & 15]);
      value >>= 4;
    } while (value != 0);
    return text;
  }

  std::shared_ptr<Session<Stream>> m_session;
  bool m_chunked;
};

/// One connection: reads a request whole within the limits, hands it to the handler, writes the answer,
/// and, kept alive, waits for the next. Everything runs on the connection's strand.
template <class Stream>
class Session : public detail::Connection, public std::enable_shared_from_this<Session<Stream>> {
public:
  Session(Stream stream, std::shared_ptr<Shared> shared, std::optional<Peer> peer = std::nullopt)
      : m_stream(std::move(stream)), m_shared(std::move(shared)), m_timer(m_stream.get_executor()),
        m_read_deadline(m_stream.get_executor()), m_peer(peer) {}

  ~Session() override {
    std::function<void()> room;
    {
      std::lock_guard lock(m_shared->mutex);
      m_shared->open.erase(m_id);
      m_shared->closers.erase(m_id);
      room = m_shared->room_again;
    }
    if (room && !m_shared->stopping) {
      room();
    }
  }

  void run(unsigned long long id) {
    m_id = id;
    {
      std::lock_guard lock(m_shared->mutex);
      m_shared->open[id] = this->shared_from_this();
      m_shared->closers[id] = [weak = this->weak_from_this()] {
        if (auto self = weak.lock()) {
          self->post([self] { self->close_unless_answering(); });
        }
      };
    }
    post([self = this->shared_from_this()] { self->begin(); });
  }

  template <class Action> void post(Action action) { asio::post(m_stream.get_executor(), std::move(action)); }

  void after(Milliseconds delay, std::function<void()> action) {
    auto timer = std::make_shared<asio::steady_timer>(m_stream.get_executor(), delay);
    timer->async_wait([timer, action = std::move(action), shared = m_shared](const beast::error_code& error) {
      if (!error && !shared->stopping) {
        action();
      }
    });
  }

  // --- detail::Connection: from any thread ---

  void answer(ServerResponse response, Milliseconds delay) override {
    post([self = this->shared_from_this(), response = std::move(response), delay]() mutable {
      self->deliver_later(delay, [self, response = std::move(response)]() mutable { self->deliver(response); });
    });
  }

  void answer_raw(std::string bytes, Milliseconds delay) override {
    post([self = this->shared_from_this(), bytes = std::move(bytes), delay]() mutable {
      self->deliver_later(delay, [self, bytes = std::move(bytes)]() mutable { self->write(std::move(bytes), true); });
    });
  }

  std::shared_ptr<ResponseStream> open_stream(const ServerResponse& head) override {
    auto length = header_value(head.headers, "Content-Length");
    bool chunked = length.empty();
    std::optional<size_t> declared;
    if (!chunked) {
      declared = static_cast<size_t>(std::stoull(length));
    }
    auto bytes = serialize_head(head, declared, chunked, false);
    post([self = this->shared_from_this(), bytes = std::move(bytes)]() mutable {
      self->stream_write(std::move(bytes), [](bool) {});
    });
    return std::make_shared<SessionStream<Stream>>(this->shared_from_this(), chunked);
  }

  // --- on the strand ---

  /// A connection waiting for a request, or still reading one, has been promised nothing.
  void close_unless_answering() {
    if (m_phase == Phase::waiting || m_phase == Phase::reading) {
      close();
    }
  }

  bool accepting_answers() const override { return !m_shared->stopping; }

  void close() {
    if (m_phase == Phase::closed) {
      return;
    }
    m_phase = Phase::closed;
    beast::error_code ignored;
    beast::get_lowest_layer(m_stream).socket().shutdown(asio::socket_base::shutdown_both, ignored);
    beast::get_lowest_layer(m_stream).close();
    m_timer.cancel();
    m_read_deadline.cancel();
  }

  void stream_write(std::string data, std::function<void(bool)> done) {
    if (m_phase == Phase::closed) {
      done(false);
      return;
    }
    m_pending.emplace_back(std::move(data), std::move(done));
    if (!m_writing) {
      write_next_piece();
    }
  }

  void stream_finish(bool chunked) {
    if (chunked) {
      stream_write("0\r\n\r\n", [](bool) {});
    }
    m_finish_after_pieces = true;
    if (!m_writing) {
      write_next_piece();
    }
  }

private:
  enum class Phase { waiting, reading, handling, writing, closed };

  auto& lowest() { return beast::get_lowest_layer(m_stream); }

  void begin() {
    if constexpr (is_tls_stream<Stream>) {
      lowest().expires_after(m_shared->limits.header_timeout);
      m_phase = Phase::reading;
      m_stream.async_handshake(ssl::stream_base::server,
                               [self = this->shared_from_this()](const beast::error_code& error) {
                                 if (error) {
                                   self->close();
                                 } else {
                                   self->read_request();
                                 }
                               });
    } else {
      read_request();
    }
  }

  /// The next request: the first one's headers must arrive within header_timeout of the connection;
  /// later ones may wait idle_timeout for their first byte, then have header_timeout for the rest.
  void read_request() {
    if (m_shared->stopping) {
      return close();
    }
    if (m_first || !m_input.empty()) {
      m_first = false;
      return start_request();
    }
    m_phase = Phase::waiting;
    lowest().expires_after(m_shared->limits.idle_timeout);
    m_stream.async_read_some(asio::buffer(m_chunk),
                             [self = this->shared_from_this()](const beast::error_code& error, size_t count) {
                               if (error || self->m_phase == Phase::closed) {
                                 return self->close();
                               }
                               self->m_input.append(self->m_chunk.data(), count);
                               self->start_request();
                             });
  }

  void start_request() {
    m_phase = Phase::reading;
    m_reader.emplace(m_shared->limits);
    m_header_deadline = std::chrono::steady_clock::now() + m_shared->limits.header_timeout;
    m_body_deadline.reset();
    m_continue_sent = false;
    process_input();
  }

  void process_input() {
    switch (m_reader->feed(m_input)) {
    case RequestReader::Progress::refused:
      return refuse(m_reader->refusal().first, m_reader->refusal().second);
    case RequestReader::Progress::complete:
      return dispatch();
    case RequestReader::Progress::more:
      break;
    }
    if (m_reader->headers_done() && !m_body_deadline) {
      m_body_deadline = std::chrono::steady_clock::now() + m_shared->limits.body_timeout;
    }
    if (m_reader->headers_done() && m_reader->expects_continue() && !m_continue_sent) {
      m_continue_sent = true;
      auto bytes = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      lowest().expires_after(m_shared->limits.write_timeout);
      asio::async_write(m_stream, asio::buffer(*bytes),
                        [self = this->shared_from_this(), bytes](const beast::error_code& failed, size_t) {
                          if (failed) {
                            return self->close();
                          }
                          self->read_more();
                        });
      return;
    }
    read_more();
  }

  /// Reads more of the request. Its deadline is a timer of our own that cancels the read: Beast's own
  /// stream timeout would close the socket, and the client would never see the 408.
  void read_more() {
    lowest().expires_never();
    m_timed_out = false;
    m_read_deadline.expires_at(m_body_deadline ? *m_body_deadline : m_header_deadline);
    m_read_deadline.async_wait([self = this->shared_from_this()](const beast::error_code& error) {
      if (!error && self->m_phase == Phase::reading) {
        self->m_timed_out = true;
        beast::error_code ignored;
        self->lowest().socket().cancel(ignored);
      }
    });
    m_stream.async_read_some(asio::buffer(m_chunk),
                             [self = this->shared_from_this()](const beast::error_code& error, size_t count) {
                               self->m_read_deadline.cancel();
                               if (self->m_phase == Phase::closed) {
                                 return;
                               }
                               if (self->m_timed_out) {
                                 return self->refuse(408, "the request did not arrive in time");
                               }
                               if (error) {
                                 return self->close(); // the client went away in the middle of its request
                               }
                               self->m_input.append(self->m_chunk.data(), count);
                               self->process_input();
                             });
  }

  void refuse(int status, const std::string& reason) {
    auto response = m_shared->refusal ? m_shared->refusal(status, reason)
                                      : ServerResponse{status, {{"Content-Type", "text/plain"}}, reason + "\n"};
    response.status = status;
    m_head_only = false;
    write(serialize_head(response, response.body.size(), false, true) + response.body, true);
  }

  void dispatch() {
    m_phase = Phase::handling;
    lowest().expires_never();
    m_keep_alive = m_reader->keep_alive() && m_shared->limits.keep_alive;
    auto request = m_reader->take();
    request.peer = m_peer;
    m_head_only = request.method == "HEAD";
    Responder responder(std::make_shared<detail::Exchange>(this->shared_from_this()));
    try {
      m_shared->handler(std::move(request), responder);
    } catch (const std::exception&) {
      responder.send({500, {{"Content-Type", "text/plain"}}, "internal error\n", true});
    }
  }

  void deliver_later(Milliseconds delay, std::function<void()> action) {
    if (delay.count() <= 0) {
      return action();
    }
    m_timer.expires_after(delay);
    m_timer.async_wait([self = this->shared_from_this(), action = std::move(action)](const beast::error_code& error) {
      if (!error && self->m_phase != Phase::closed) {
        action();
      }
    });
  }

  void deliver(const ServerResponse& response) {
    bool close_after = response.close || !m_keep_alive || m_shared->stopping;
    bool bodiless = bodiless_status(response.status);
    auto head = serialize_head(response, bodiless ? std::nullopt : std::optional<size_t>(response.body.size()), false,
                               close_after);
    write(m_head_only || bodiless ? head : head + response.body, close_after);
  }

  void write(std::string bytes, bool close_after) {
    if (m_phase == Phase::closed) {
      return;
    }
    m_phase = Phase::writing;
    auto data = std::make_shared<std::string>(std::move(bytes));
    lowest().expires_after(m_shared->limits.write_timeout);
    asio::async_write(m_stream, asio::buffer(*data),
                      [self = this->shared_from_this(), data, close_after](const beast::error_code& error, size_t) {
                        if (error || close_after) {
                          return self->linger_and_close(!error);
                        }
                        self->read_request();
                      });
  }

  /// Shuts our side, then reads what the client still sends (briefly) before closing: closing with
  /// unread bytes would reset the connection, and the client could lose the answer it was sent.
  void linger_and_close(bool sent) {
    if (!sent || m_phase == Phase::closed) {
      return close();
    }
    m_phase = Phase::writing;
    beast::error_code ignored;
    lowest().socket().shutdown(asio::socket_base::shutdown_send, ignored);
    lowest().expires_after(Milliseconds(1000));
    drain(0);
  }

  void drain(size_t drained) {
    if (drained > 1024 * 1024) {
      return close();
    }
    lowest().async_read_some(asio::buffer(m_chunk),
                             [self = this->shared_from_this(), drained](const beast::error_code& error, size_t count) {
                               if (error) {
                                 return self->close();
                               }
                               self->drain(drained + count);
                             });
  }

  void write_next_piece() {
    if (m_pending.empty()) {
      m_writing = false;
      if (m_finish_after_pieces) {
        m_finish_after_pieces = false;
        if (m_keep_alive && !m_shared->stopping) {
          read_request();
        } else {
          linger_and_close(true);
        }
      }
      return;
    }
    m_writing = true;
    m_phase = Phase::writing;
    auto piece = std::make_shared<std::pair<std::string, std::function<void(bool)>>>(std::move(m_pending.front()));
    m_pending.pop_front();
    lowest().expires_after(m_shared->limits.write_timeout);
    asio::async_write(m_stream, asio::buffer(piece->first),
                      [self = this->shared_from_this(), piece](const beast::error_code& error, size_t) {
                        if (error) {
                          piece->second(false);
                          for (auto& [data, done] : self->m_pending) {
                            done(false);
                          }
                          self->m_pending.clear();
                          self->m_writing = false;
                          return self->close();
                        }
                        piece->second(true);
                        self->write_next_piece();
                      });
  }

  Stream m_stream;
  std::shared_ptr<Shared> m_shared;
  asio::steady_timer m_timer;
  asio::steady_timer m_read_deadline; ///< a request's header or body deadline (read_more)
  bool m_timed_out = false;
  std::array<char, 16384> m_chunk{};
  std::string m_input; ///< read and not yet parsed: a part of a request, or the next one (pipelining)
  std::optional<RequestReader> m_reader;
  std::chrono::steady_clock::time_point m_header_deadline;
  std::optional<std::chrono::steady_clock::time_point> m_body_deadline;
  bool m_continue_sent = false;
  unsigned long long m_id = 0;
  Phase m_phase = Phase::reading;
  bool m_first = true;
  bool m_keep_alive = true;
  bool m_head_only = false;
  std::deque<std::pair<std::string, std::function<void(bool)>>> m_pending;
  bool m_writing = false;
  bool m_finish_after_pieces = false;
  std::optional<Peer> m_peer;
};

using UnixStream = beast::basic_stream<asio::local::stream_protocol>;

/// The peer of an accepted Unix socket, or nothing when the kernel will not say.
std::optional<Peer> peer_of(int fd) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
    return std::nullopt;
  }
  return Peer{credentials.pid, credentials.uid, credentials.gid};
}

/// A listening socket of either kind.
class Listener {
public:
  virtual ~Listener() = default;
  virtual void accept() = 0;
  virtual void close() = 0;
};

} // namespace

struct HttpServer::Impl {
  explicit Impl(std::shared_ptr<Shared> state) : shared(std::move(state)) {}

  std::shared_ptr<Shared> shared;
  std::optional<ssl::context> tls;
  asio::io_context io;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::string> unix_paths; ///< removed when the server stops
  std::vector<std::thread> threads;
  std::mutex paused_mutex;
  std::vector<Listener*> paused; ///< listeners waiting for a connection to end (max_connections)

  /// Accepts the next connection on `acceptor`, unless the server has max_connections open: then the
  /// listener waits until one ends.
  template <class Acceptor, class Start> void accept_on(Acceptor& acceptor, Listener& listener, Start start) {
    acceptor.async_accept(asio::make_strand(io),
                          [this, &acceptor, &listener, start](const beast::error_code& error, auto socket) {
                            if (shared->stopping || !acceptor.is_open()) {
                              return;
                            }
                            if (!error) {
                              start(std::move(socket));
                            }
                            if (connections() >= shared->limits.max_connections) {
                              std::lock_guard lock(paused_mutex);
                              paused.push_back(&listener); // the next connection to end accepts again
                              return;
                            }
                            listener.accept();
                          });
  }

  unsigned long long next_id() {
    std::lock_guard lock(shared->mutex);
    return ++shared->next_id;
  }

  void start_session(tcp::socket socket) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls) {
      using Tls = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Session<Tls>>(Tls(beast::tcp_stream(std::move(socket)), *tls), shared)->run(next_id());
    } else {
      std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), shared)->run(next_id());
    }
  }

  void start_session(asio::local::stream_protocol::socket socket) {
    auto peer = peer_of(socket.native_handle());
    std::make_shared<Session<UnixStream>>(UnixStream(std::move(socket)), shared, peer)->run(next_id());
  }

  size_t connections() {
    std::lock_guard lock(shared->mutex);
    return shared->open.size();
  }
};

namespace {

template <class Protocol> class SocketListener : public Listener {
public:
  SocketListener(HttpServer::Impl& impl, typename Protocol::acceptor acceptor)
      : m_impl(impl), m_acceptor(std::move(acceptor)) {}
  void accept() override {
    m_impl.accept_on(m_acceptor, *this, [impl = &m_impl](auto socket) { impl->start_session(std::move(socket)); });
  }
  void close() override {
    beast::error_code ignored;
    m_acceptor.close(ignored);
  }

private:
  HttpServer::Impl& m_impl;
  typename Protocol::acceptor m_acceptor;
};

} // namespace

HttpServer::HttpServer(RequestHandler handler, ServerLimits limits, RefusalPage refusal, const TlsIdentity* tls) {
  auto shared = std::make_shared<Shared>();
  shared->handler = std::move(handler);
  shared->limits = limits;
  shared->refusal = std::move(refusal);
  m_impl = std::make_unique<Impl>(shared);
  if (tls != nullptr) {
    try {
      m_impl->tls.emplace(ssl::context::tls_server);
      m_impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                               ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      m_impl->tls->use_certificate_chain(asio::buffer(tls->certificate_pem));
      m_impl->tls->use_private_key(asio::buffer(tls->private_key_pem), ssl::context::pem);
    } catch (const boost::system::system_error&) {
      throw Error(ExitCode::usage, "the certificate " + tls->certificate_file + " cannot be served",
                  "check --tls-cert and --tls-key");
    }
  }
  shared->room_again = [impl = m_impl.get()] {
    std::vector<Listener*> resumed;
    {
      std::lock_guard lock(impl->paused_mutex);
      resumed.swap(impl->paused);
    }
    for (auto* listener : resumed) {
      asio::post(impl->io, [listener] { listener->accept(); });
    }
  };
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

int HttpServer::listen_tcp(const std::string& host, int port, const std::string& purpose, const std::string& hint) {
  auto refused = [&] {
    return Error(ExitCode::usage,
                 "cannot listen on " + host + " port " + std::to_string(port) + " for " + purpose +
                     ": the port is in use or the address is not on this machine",
                 hint);
  };
  beast::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) {
    throw refused();
  }
  auto acceptor = std::make_unique<tcp::acceptor>(m_impl->io);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor->open(endpoint.protocol(), error);
  if (!error && address.is_v6()) {
    acceptor->set_option(asio::ip::v6_only(true), error);
  }
  if (!error) {
    acceptor->set_option(tcp::acceptor::reuse_address(true), error);
  }
  if (!error) {
    acceptor->bind(endpoint, error);
  }
  if (!error) {
    acceptor->listen(asio::socket_base::max_listen_connections, error);
  }
  if (error) {
    throw refused();
  }
  int bound = acceptor->local_endpoint().port();
  m_impl->listeners.push_back(std::make_unique<SocketListener<tcp>>(*m_impl, std::move(*acceptor)));
  return bound;
}

namespace {

Error unix_refusal(const std::string& path, const std::string& purpose, const std::string& why, std::string hint) {
  return Error(ExitCode::usage, "cannot listen on " + path + " for " + purpose + ": " + why, std::move(hint));
}

/// What is at `path` now: nothing (or a socket nobody answers on, which is removed), or an Error.
void clear_stale_socket(const std::string& path, const std::string& purpose) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    return;
  }
  if (!S_ISSOCK(info.st_mode)) {
    throw unix_refusal(path, purpose, "something that is not a socket is there", "remove it, or listen elsewhere");
  }
  asio::io_context probe_context;
  asio::local::stream_protocol::socket probe(probe_context);
  beast::error_code error;
  probe.connect(asio::local::stream_protocol::endpoint(path), error);
  if (!error) {
    throw unix_refusal(path, purpose, "another process (an agent?) already listens there",
                       "stop it first, or give another --listen");
  }
  if (error != asio::error::connection_refused) {
    throw unix_refusal(path, purpose, "the socket there cannot be checked (" + error.message() + ")",
                       "remove it if no process uses it");
  }
  ::unlink(path.c_str()); // left by a process that is gone
}

} // namespace

void HttpServer::listen_unix(const std::string& path, unsigned mode, std::optional<gid_t> group,
                             const std::string& purpose) {
  clear_stale_socket(path, purpose);
  auto slash = path.rfind('/');
  auto folder = slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash);
  // Made in a folder only we may enter, given its mode and group there, then renamed into place: at no
  // moment can anyone connect to a socket with looser permissions than asked for.
  std::string scratch = folder + "/.keap-auth-socket-XXXXXX";
  if (::mkdtemp(scratch.data()) == nullptr) {
    throw unix_refusal(path, purpose, std::string("cannot make a folder beside it (") + std::strerror(errno) + ")",
                       "check that the folder exists and is writable");
  }
  auto made = scratch + "/socket";
  auto cleanup = [&] {
    ::unlink(made.c_str());
    ::rmdir(scratch.c_str());
  };
  asio::local::stream_protocol::acceptor acceptor(m_impl->io);
  beast::error_code error;
  asio::local::stream_protocol::endpoint endpoint(made);
  acceptor.open(endpoint.protocol(), error);
  if (!error) {
    acceptor.bind(endpoint, error);
  }
  if (!error) {
    acceptor.listen(asio::socket_base::max_listen_connections, error);
  }
  bool placed = !error && ::chmod(made.c_str(), mode) == 0 &&
                (!group || ::chown(made.c_str(), static_cast<uid_t>(-1), *group) == 0) &&
                ::rename(made.c_str(), path.c_str()) == 0;
  int saved = errno;
  cleanup();
  if (!placed) {
    throw unix_refusal(path, purpose, error ? error.message() : std::string(std::strerror(saved)),
                       group ? "check the folder and that this user may give the socket that group"
                             : "check the folder and its permissions");
  }
  m_impl->unix_paths.push_back(path);
  m_impl->listeners.push_back(
      std::make_unique<SocketListener<asio::local::stream_protocol>>(*m_impl, std::move(acceptor)));
}

void HttpServer::adopt(int fd, const std::string& purpose) {
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  int listening = 0;
  socklen_t flag_size = sizeof listening;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
      ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &flag_size) != 0 || listening == 0) {
    throw Error(ExitCode::usage,
                "the socket handed over for " + purpose + " (descriptor " + std::to_string(fd) +
                    ") is not a listening stream socket",
                "check the .socket unit: ListenStream= only");
  }
  beast::error_code error;
  if (address.ss_family == AF_UNIX) {
    asio::local::stream_protocol::acceptor acceptor(m_impl->io);
    acceptor.assign(asio::local::stream_protocol(), fd, error);
    if (!error) {
      m_impl->listeners.push_back(
          std::make_unique<SocketListener<asio::local::stream_protocol>>(*m_impl, std::move(acceptor)));
      return;
    }
  } else if (address.ss_family == AF_INET || address.ss_family == AF_INET6) {
    tcp::acceptor acceptor(m_impl->io);
    acceptor.assign(address.ss_family == AF_INET ? tcp::v4() : tcp::v6(), fd, error);
    if (!error) {
      m_impl->listeners.push_back(std::make_unique<SocketListener<tcp>>(*m_impl, std::move(acceptor)));
      return;
    }
  }
  throw Error(ExitCode::usage,
              "the socket handed over for " + purpose + " cannot be served" +
                  (error ? " (" + error.message() + ")" : std::string()),
              "check the .socket unit");
}

void HttpServer::start(int threads) {
  for (auto& listener : m_impl->listeners) {
    listener->accept();
  }
  for (int i = 0; i < threads; ++i) {
    m_impl->threads.emplace_back([this] {
      auto guard = asio::make_work_guard(m_impl->io);
      m_impl->io.run();
    });
  }
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  auto& impl = *m_impl;
  if (impl.shared->stopping.exchange(true)) {
    return;
  }
  asio::post(impl.io, [&impl] {
    for (auto& listener : impl.listeners) {
      listener->close();
    }
  });
  for (const auto& path : impl.unix_paths) {
    ::unlink(path.c_str()); // nobody can connect any more: the next agent finds no stale socket
  }
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard lock(impl.shared->mutex);
    for (auto& [id, closer] : impl.shared->closers) {
      closers.push_back(closer);
    }
  }
  for (auto& closer : closers) {
    closer(); // idle connections end now; the others finish what they are writing
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!impl.threads.empty() && impl.connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl.io.stop();
  for (auto& thread : impl.threads) {
    thread.join();
  }
  impl.threads.clear();
}

size_t HttpServer::connections() const { return m_impl->connections(); }

} // namespace keap::net
