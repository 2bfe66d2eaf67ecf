#pragma once

#include "net/http_client.hpp"
#include "net/http_server.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

/// HTTP/1.1 messages read from bytes as they arrive (RFC 9112), within limits: the part of every
/// exchange that meets outside input. No I/O here, so both are fuzzed; the server and the client feed
/// them what their sockets read.
namespace keap::net {

/// One request, as a server reads it.
class RequestReader {
public:
  enum class Progress {
    more,     ///< needs more bytes
    complete, ///< a whole request is in: take() it
    refused,  ///< it breaks HTTP or a limit: answer refusal() and close
  };

  explicit RequestReader(const ServerLimits& limits);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  /// Parses what it can of `input` and removes it; what stays (a part of the headers, or the next
  /// request of a pipelining client) is for the next call, with more bytes appended.
  Progress feed(std::string& input);
  /// True once the request line and headers are in (the body's own deadline starts).
  bool headers_done() const;
  /// The headers ask for `100 Continue` before the body is sent.
  bool expects_continue() const;
  /// The status and reason for a refused request.
  const std::pair<int, std::string>& refusal() const;
  /// The request, once complete.
  ServerRequest take();
  /// Whether the connection may serve another request after this one (HTTP/1.0 and Connection: close
  /// say no).
  bool keep_alive() const;

private:
  struct Parser;
  std::unique_ptr<Parser> m_parser;
};

/// One response, as the client reads it: its head capped in bytes and lines, its body kept up to
/// max_body, or handed piece by piece to a sink.
class ResponseReader {
public:
  enum class Progress {
    more,     ///< needs more bytes
    complete, ///< a whole response is in: take() it
    failed,   ///< it breaks HTTP or a limit: failure() says how
  };
  /// Receives the body piece by piece instead of keeping it; returns false to stop reading.
  using BodySink = std::function<bool(std::string_view piece)>;

  struct Limits {
    size_t header_bytes = 64 * 1024;
    size_t header_lines = 200;
    size_t body_bytes = 1024 * 1024;
  };

  /// `head_request`: the answer to a HEAD, which has no body whatever its headers say.
  ResponseReader(const Limits& limits, bool head_request, BodySink sink = {});
  ~ResponseReader();
  ResponseReader(const ResponseReader&) = delete;
  ResponseReader& operator=(const ResponseReader&) = delete;

  Progress feed(std::string& input);
  /// The peer closed: a body delimited by the close is complete now; anything else has failed.
  Progress end_of_input();
  /// True once the status line and headers are in (status() and headers() are then known).
  bool head_done() const;
  int status() const;
  const Headers& headers() const; ///< names in lower case
  /// What went wrong, once failed, with the kind for TransportError.
  const std::pair<TransportFailure, std::string>& failure() const;
  /// The response, once complete (its body empty when a sink took it).
  HttpResponse take();
  bool keep_alive() const;

private:
  struct Parser;
  std::unique_ptr<Parser> m_parser;
};

} // namespace keap::net
