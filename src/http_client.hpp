#pragma once

#include "error.hpp"
#include "url.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace keap {

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
};

struct HttpOptions {
  std::string ca_file; ///< extra CAs, trusted in addition to the system's store
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60}; ///< Keap's token endpoint takes tens of seconds when busy
  size_t max_body = 1024 * 1024;         ///< a response larger than this is refused, not buffered
  /// --verbose: told each exchange (method, URL, status, timing) with every secret redacted.
  std::function<void(const std::string&)> log;
  /// The whole exchange may take at most connect + 2 x read timeout: a server that dribbles a byte at
  /// a time would otherwise reset the read timeout forever.
  std::chrono::seconds total_timeout() const { return connect_timeout + 2 * read_timeout; }
};

/// No complete response arrived. `request_sent()` is false when the connection was never made, so
/// retrying cannot repeat a request the server may already have processed (a refresh rotates).
class TransportError : public Error {
public:
  TransportError(bool request_sent, const std::string& message, std::string hint = {})
      : Error(ExitCode::unavailable, message, std::move(hint)), m_request_sent(request_sent) {}
  bool request_sent() const { return m_request_sent; }

private:
  bool m_request_sent;
};

/// Sends one request with certificate and host-name verification always on, and returns the response
/// whatever its status. Throws TransportError (exit 5) when no complete response arrives, naming the endpoint
/// and the reason (connection refused, timeout, certificate problem with the ca_file hint, ...).
HttpResponse send_request(const HttpRequest& request, const HttpOptions& options);

/// Standard base64 with padding, as HTTP Basic uses.
std::string base64(std::string_view bytes);

/// Server-sent text made safe for a terminal line: control characters dropped, at most 300 bytes.
std::string printable_excerpt(std::string_view text);

} // namespace keap
