#pragma once

#include "core/defaults.hpp"
#include "core/error.hpp"
#include "util/url.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The only folder that talks HTTP: one client, one table of what statuses mean, one retry policy.
namespace keap::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  /// Host and User-Agent are the client's to set (a User-Agent in `headers` replaces its own); the
  /// body is always sent with a Content-Length (never chunked): Keap rejects bodies without one.
  util::Url url;
  Headers headers;
  std::string body; ///< always sent with a Content-Length (never chunked): Keap rejects bodies without one
  std::string content_type;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  Headers headers; ///< every header as received, names in lower case

  /// The first value of a header (any case), or empty.
  std::string header(std::string_view name) const;
};

struct HttpOptions {
  std::string ca_file; ///< extra CAs, trusted in addition to the system's store
  std::chrono::seconds connect_timeout = defaults::connect_timeout;
  std::chrono::seconds read_timeout = defaults::read_timeout;
  size_t max_body = 1024 * 1024;       ///< a response larger than this is refused while it streams, not buffered
  size_t max_header_bytes = 64 * 1024; ///< a response's status line and headers together
  size_t max_header_lines = 200;
  /// --verbose: told each exchange (method, URL, headers, bodies, status, time) with every secret redacted.
  std::function<void(const std::string&)> log;
};

/// Why no complete response arrived.
enum class TransportFailure {
  not_connected,    ///< the connection was never made: nothing was sent, retrying is safe
  tls_verification, ///< the server's certificate could not be verified: final, never retried
  tls_handshake,    ///< the TLS handshake failed
  no_answer,        ///< sent, but no complete answer: the server may have processed it
  too_large,        ///< the answer exceeded max_body, or its headers their limits
  too_slow,         ///< the answer did not end by the deadline
  refused_to_send,  ///< the request itself was unfit to send (a control character in a header): nothing was sent
};

/// No complete response arrived (exit 5).
class TransportError : public Error {
public:
  TransportError(TransportFailure failure, const std::string& message, std::string hint = {})
      : Error(ExitCode::unavailable, message, std::move(hint)), m_failure(failure) {}
  TransportFailure failure() const { return m_failure; }
  /// Only a connection that was never made may be retried: anything sent may have been processed (a
  /// refresh rotates), and a certificate that failed verification fails again.
  bool retryable() const { return m_failure == TransportFailure::not_connected; }

private:
  TransportFailure m_failure;
};

/// Where an answer's body goes as it arrives instead of into HttpResponse::body (the agent's proxy
/// streams a download to its caller without holding it whole).
struct BodyStream {
  /// Called with the status and headers at the first piece of the body (never for an answer without
  /// one): true to have the body passed to `piece`, false to keep it in the response within max_body.
  std::function<bool(int status, const Headers& headers)> begin;
  /// One piece of the body, in order; false stops reading (the connection is closed, send() throws).
  std::function<bool(std::string_view piece)> piece;
  bool streaming = false; ///< set once `begin` said yes: the body went to `piece`
};

/// Sends requests with certificate and host-name verification always on, keeping one connection per
/// origin alive between requests. Answers come back whatever their status; TransportError (exit 5),
/// naming the endpoint and the reason, when none arrives. Every part of an answer is bounded: its
/// headers in bytes and lines, its body by max_body, and its whole arrival by the deadline, however
/// slowly the bytes come.
class HttpClient {
public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// One exchange, which must end by connect + 2 x read timeout and by `deadline` when one is given (a
  /// server that dribbles a byte at a time would otherwise reset the read timeout forever).
  HttpResponse send(const HttpRequest& request,
                    std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt,
                    BodyStream* stream = nullptr);

  const HttpOptions& options() const { return m_options; }

private:
  struct Impl;
  HttpOptions m_options;
  std::unique_ptr<Impl> m_impl;
};

/// The User-Agent every request carries: keap-auth/VERSION.
std::string user_agent();

} // namespace keap::net
