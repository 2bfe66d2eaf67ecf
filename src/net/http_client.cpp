#include "net/http_client.hpp"

#include "core/redaction.hpp"
#include "core/version.hpp"
#include "net/asio.hpp"
#include "net/http_reader.hpp"
#include "net/wire.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include <poll.h>

namespace keap::net {

namespace {

using Clock = std::chrono::steady_clock;
using Tls = beast::ssl_stream<beast::tcp_stream>;

std::string logged_body(const std::string& body, const std::string& content_type) {
  if (body.empty()) {
    return "";
  }
  if (content_type.starts_with("application/x-www-form-urlencoded")) {
    return " body: " + redact_form(body);
  }
  return " body: " + redact_body(body);
}

/// The request's bytes: the line, Host, User-Agent, the caller's headers, and the body always framed by
/// a Content-Length (Keap refuses bodies without one). Throws TransportError when a part is unfit for
/// the wire: a value from a server or a file must never smuggle in a line break.
std::string serialize(const HttpRequest& request, Headers& sent) {
  auto target = request.url.path + (request.url.query.empty() ? "" : "?" + request.url.query);
  auto refuse = [&](const std::string& what) {
    return TransportError(TransportFailure::refused_to_send,
                          "refusing to send the request to " + request.url.without_query() + ": " + what +
                              "; nothing was sent",
                          "the value came from a server, a file or the command line: check it");
  };
  if (!valid_token(request.method)) {
    throw refuse("the method is not an HTTP token");
  }
  if (!valid_target(target)) {
    throw refuse("the URL holds a blank or a control character");
  }
  sent = {{"Host", request.url.authority()}};
  if (header_value(request.headers, "User-Agent").empty()) {
    sent.emplace_back("User-Agent", user_agent());
  }
  for (const auto& header : request.headers) {
    sent.push_back(header);
  }
  if (!request.content_type.empty()) {
    sent.emplace_back("Content-Type", request.content_type);
  }
  bool has_body =
      !request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if (has_body) {
    sent.emplace_back("Content-Length", std::to_string(request.body.size()));
  }
  std::string text = request.method + " " + target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : sent) {
    if (!valid_header(name, value)) {
      throw refuse("the header " + (valid_token(name) ? name : std::string("name")) +
                   " holds a line break or another control character");
    }
    text += name + ": " + value + "\r\n";
  }
  return text + "\r\n" + request.body;
}

/// One kept-alive connection to an origin.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<Tls> secure;
  std::string leftover; ///< bytes after the last response: a server that sends unasked is not reused

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }
  bool open() { return (plain || secure) && lowest().socket().is_open(); }
  /// Still fit to send on: open, and nothing to read (a server that closed an idle connection has
  /// left an end of file there, and one that sent something unasked cannot be trusted with the next).
  bool reusable() {
    if (!open() || !leftover.empty()) {
      return false;
    }
    pollfd check{lowest().socket().native_handle(), POLLIN, 0};
    return ::poll(&check, 1, 0) == 0;
  }
  void close() {
    if (plain || secure) {
      beast::error_code ignored;
      lowest().socket().close(ignored);
    }
    plain.reset();
    secure.reset();
    leftover.clear();
  }
};

} // namespace

struct HttpClient::Impl {
  asio::io_context io;
  std::optional<ssl::context> tls;
  std::map<std::string, Connection> connections;
};

namespace {

/// One exchange on one connection, run to completion on the client's io_context.
class Exchange {
public:
  Exchange(asio::io_context& io, ssl::context* tls, Connection& connection, const HttpRequest& request,
           const HttpOptions& options, Clock::time_point end, BodyStream* stream)
      : m_io(io), m_tls(tls), m_connection(connection), m_request(request), m_options(options), m_end(end),
        m_stream(stream) {}

  HttpResponse run(const std::string& bytes) {
    m_bytes = &bytes;
    m_reused = m_connection.reusable();
    if (!m_reused) {
      m_connection.close();
    }
    m_io.restart();
    m_reused ? write() : resolve();
    m_io.run();
    if (m_failure) {
      m_connection.close();
      throw *m_failure;
    }
    return std::move(m_response);
  }

private:
  Clock::time_point limit(std::chrono::milliseconds step) const { return std::min(m_end, Clock::now() + step); }

  std::string endpoint() const { return m_request.url.without_query(); }

  void fail(TransportFailure failure, const std::string& message, const std::string& hint = {}) {
    m_failure.emplace(failure, message, hint);
    m_connection.close();
  }

  /// A timer ran out: the deadline (the answer is too slow) or one step's own timeout.
  bool past_deadline() const { return Clock::now() >= m_end - std::chrono::milliseconds(5); }

  void resolve() {
    m_connection.plain = std::make_unique<beast::tcp_stream>(m_io);
    beast::error_code not_an_address;
    auto address = asio::ip::make_address(m_request.url.host, not_an_address);
    if (!not_an_address) { // an address needs no resolver (whose first use starts a thread)
      auto port = static_cast<unsigned short>(m_request.url.port);
      return connect(tcp::resolver::results_type::create(tcp::endpoint(address, port), m_request.url.host,
                                                         std::to_string(port)));
    }
    auto resolver = std::make_shared<tcp::resolver>(m_io);
    resolver->async_resolve(m_request.url.host, std::to_string(m_request.url.port),
                            [this, resolver](const beast::error_code& error, tcp::resolver::results_type results) {
                              if (error) {
                                return fail(TransportFailure::not_connected,
                                            "cannot connect to " + endpoint() + " (the host name does not resolve)",
                                            "check the network and the URL");
                              }
                              connect(results);
                            });
  }

  void connect(const tcp::resolver::results_type& results) {
    auto& stream = *m_connection.plain;
    stream.expires_at(limit(m_options.connect_timeout));
    stream.async_connect(results, [this](const beast::error_code& error, const tcp::endpoint&) {
      if (error == beast::error::timeout) {
        return fail(TransportFailure::not_connected, "connecting to " + endpoint() + " timed out", "try again later");
      }
      if (error) {
        return fail(TransportFailure::not_connected, "cannot connect to " + endpoint(),
                    "check the network and the URL; the server may be down");
      }
      beast::error_code ignored;
      m_connection.plain->socket().set_option(tcp::no_delay(true), ignored);
      if (m_request.url.scheme == "https") {
        return handshake();
      }
      write();
    });
  }

  void handshake() {
    m_connection.secure = std::make_unique<Tls>(std::move(*m_connection.plain), *m_tls);
    m_connection.plain.reset();
    auto& stream = *m_connection.secure;
    const auto& host = m_request.url.host;
    beast::error_code not_an_address;
    asio::ip::make_address(host, not_an_address);
    if (not_an_address) { // SNI carries names only (SSL_set_tlsext_host_name, without its C cast)
      SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str()));
    }
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(host));
    m_connection.lowest().expires_at(limit(m_options.read_timeout));
    stream.async_handshake(ssl::stream_base::client, [this](const beast::error_code& error) {
      if (!error) {
        return write();
      }
      long verified = SSL_get_verify_result(m_connection.secure->native_handle());
      if (verified != X509_V_OK) {
        return fail(TransportFailure::tls_verification,
                    "the TLS certificate of " + endpoint() + " could not be verified (" +
                        X509_verify_cert_error_string(verified) + ")",
                    "this is a certificate problem: if the server uses a private CA, set \"ca_file\" in the "
                    "config to a PEM file with that CA's certificate");
      }
      fail(TransportFailure::tls_handshake, "the TLS handshake with " + endpoint() + " failed",
           "check that the URL's scheme and port are right");
    });
  }

  void write() {
    m_connection.lowest().expires_at(limit(m_options.read_timeout));
    auto done = [this](const beast::error_code& error, size_t) {
      if (error && m_reused && !m_retried) {
        // The kept-alive connection broke before the whole request was handed over, so the server
        // cannot have it all: send it once on a new connection.
        m_retried = true;
        m_reused = false;
        m_connection.close();
        return resolve();
      }
      if (error) {
        return fail(TransportFailure::no_answer, "no complete response from " + endpoint() + " (sending failed)",
                    "try again later");
      }
      read_header();
    };
    auto buffer = asio::buffer(*m_bytes);
    m_connection.secure ? asio::async_write(*m_connection.secure, buffer, done)
                        : asio::async_write(*m_connection.plain, buffer, done);
  }

  void read_header() {
    ResponseReader::Limits limits{m_options.max_header_bytes, m_options.max_header_lines, m_options.max_body};
    ResponseReader::BodySink sink;
    if (m_stream) {
      sink = [this](std::string_view piece) { return take_piece(piece); };
    }
    m_reader.emplace(limits, m_request.method == "HEAD", std::move(sink));
    m_header_deadline = limit(m_options.read_timeout);
    read_more();
  }

  /// The head within one read_timeout however slowly its bytes come; then the body a piece at a time,
  /// each piece within read_timeout; all of it within the deadline.
  void read_more() {
    m_connection.lowest().expires_at(m_reader->head_done() ? limit(m_options.read_timeout) : m_header_deadline);
    auto done = [this](const beast::error_code& error, size_t count) {
      if (error == asio::error::eof || error == ssl::error::stream_truncated) {
        return progress(m_reader->end_of_input());
      }
      if (error) {
        return read_failed(error);
      }
      m_input.append(m_chunk.data(), count);
      progress(m_reader->feed(m_input));
    };
    m_connection.secure ? m_connection.secure->async_read_some(asio::buffer(m_chunk), done)
                        : m_connection.plain->async_read_some(asio::buffer(m_chunk), done);
  }

  /// A piece of the body when the caller gave a stream: to the stream once it said so, else kept.
  bool take_piece(std::string_view piece) {
    if (!m_begun) {
      m_begun = true;
      m_stream->streaming = m_stream->begin(m_reader->status(), m_reader->headers());
    }
    if (m_stream->streaming) {
      return m_stream->piece(piece);
    }
    m_kept.append(piece);
    m_kept_too_large = m_kept.size() > m_options.max_body;
    return !m_kept_too_large;
  }

  void progress(ResponseReader::Progress progress) {
    switch (progress) {
    case ResponseReader::Progress::more:
      return read_more();
    case ResponseReader::Progress::complete:
      return finish();
    case ResponseReader::Progress::failed:
      break;
    }
    auto [kind, what] = m_reader->failure();
    if (m_kept_too_large) {
      return fail(TransportFailure::too_large, "the response from " + endpoint() + " is larger than " +
                                                   std::to_string(m_options.max_body) + " bytes; refused");
    }
    if (kind == TransportFailure::too_large) {
      return fail(kind, "the response from " + endpoint() + " " + what + "; refused");
    }
    fail(kind, "no complete response from " + endpoint() + " (the response " + what + ")", "try again later");
  }

  void read_failed(const beast::error_code& error) {
    if (error == beast::error::timeout && past_deadline()) {
      return fail(TransportFailure::too_slow,
                  "the response from " + endpoint() + " did not end within the time allowed; refused",
                  "the server may be overloaded; try again later (read_timeout and refresh_deadline set the "
                  "limits)");
    }
    fail(TransportFailure::no_answer, "no complete response from " + endpoint() + " (read failed or timed out)",
         "try again later");
  }

  void finish() {
    m_response = m_reader->take();
    if (m_stream && !m_stream->streaming) {
      m_response.body = std::move(m_kept);
    }
    if (!m_reader->keep_alive()) {
      m_connection.close();
    } else {
      m_connection.leftover = std::move(m_input);
    }
  }

  asio::io_context& m_io;
  ssl::context* m_tls;
  Connection& m_connection;
  const HttpRequest& m_request;
  const HttpOptions& m_options;
  Clock::time_point m_end;
  const std::string* m_bytes = nullptr;
  bool m_reused = false;
  bool m_retried = false;
  std::optional<ResponseReader> m_reader;
  Clock::time_point m_header_deadline;
  std::array<char, 16384> m_chunk{};
  std::string m_input;
  std::optional<TransportError> m_failure;
  HttpResponse m_response;
  BodyStream* m_stream;
  bool m_begun = false;
  std::string m_kept; ///< the body, when a stream was given but did not take it
  bool m_kept_too_large = false;
};

} // namespace

std::string user_agent() { return std::string("keap-auth/") + version(); }

std::string HttpResponse::header(std::string_view name) const { return header_value(headers, name); }

HttpClient::HttpClient(HttpOptions options) : m_options(std::move(options)), m_impl(std::make_unique<Impl>()) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request, std::optional<Clock::time_point> deadline,
                              BodyStream* stream) {
  auto started = Clock::now();
  // One exchange never takes longer than connect + 2 x read timeout, and never past the caller's deadline.
  auto end = started + m_options.connect_timeout + 2 * m_options.read_timeout;
  if (deadline && *deadline < end) {
    end = *deadline;
  }
  if (end <= started) {
    throw TransportError(TransportFailure::not_connected,
                         "no time is left to reach " + request.url.without_query() + " (the deadline passed)");
  }
  Headers sent;
  auto bytes = serialize(request, sent);
  if (m_options.log) {
    std::string line = "> " + request.method + " " + request.url.without_query() +
                       (request.url.query.empty() ? "" : "?" + redact_form(request.url.query));
    for (const auto& [name, value] : sent) {
      line += " (" + name + ": " + redact_header(name, value) + ")";
    }
    m_options.log(line + logged_body(request.body, request.content_type));
  }
  ssl::context* tls = nullptr;
  if (request.url.scheme == "https") {
    if (!m_impl->tls) {
      try {
        m_impl->tls.emplace(ssl::context::tls_client);
        m_impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                                 ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        m_impl->tls->set_default_verify_paths();
        if (!m_options.ca_file.empty()) {
          m_impl->tls->load_verify_file(m_options.ca_file);
        }
      } catch (const boost::system::system_error&) {
        m_impl->tls.reset();
        throw TransportError(TransportFailure::tls_handshake,
                             "ca_file " + m_options.ca_file + " cannot be loaded as PEM certificates",
                             "set \"ca_file\" to a readable PEM file");
      }
    }
    tls = &*m_impl->tls;
  }
  auto& connection = m_impl->connections[request.url.origin()];
  Exchange exchange(m_impl->io, tls, connection, request, m_options, end, stream);
  std::optional<HttpResponse> response;
  std::optional<TransportError> failure;
  try {
    response = exchange.run(bytes);
  } catch (const TransportError& error) {
    failure = error;
  }
  if (m_options.log) {
    auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    m_options.log("< " +
                  (response ? std::to_string(response->status) : "no response (" + std::string(failure->what()) + ")") +
                  " in " + std::to_string(milliseconds) + " ms" +
                  (response ? logged_body(response->body, response->header("content-type")) : ""));
  }
  if (failure) {
    throw *failure;
  }
  return std::move(*response);
}

} // namespace keap::net
