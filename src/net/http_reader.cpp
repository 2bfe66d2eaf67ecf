#include "net/http_reader.hpp"

#include "net/asio.hpp"
#include "net/wire.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace keap::net {

namespace {

using beast::error_code;
using beast::string_view;

std::string text_of(string_view view) { return std::string(view.data(), view.size()); }

std::string lower(string_view view) { return util::lower(std::string_view(view.data(), view.size())); }

/// Beast's own errors, said for a person.
std::string describe(const error_code& error) { return error.message(); }

/// Feeds `input` to a Beast parser until it needs more, is done, or fails; removes what it used.
template <class Parser> error_code put_all(Parser& parser, std::string& input) {
  error_code error;
  size_t used = 0;
  while (used < input.size() && !parser.is_done()) {
    auto count = parser.put(asio::buffer(input.data() + used, input.size() - used), error);
    used += count;
    if (error == http::error::need_more) {
      error = {};
      if (count == 0) {
        break;
      }
      continue;
    }
    if (error) {
      break;
    }
  }
  input.erase(0, used);
  return error;
}

} // namespace

// --- requests ---

struct RequestReader::Parser : public http::basic_parser<true> {
  explicit Parser(const ServerLimits& server_limits) : limits(server_limits) {
    header_limit(static_cast<std::uint32_t>(std::min<size_t>(limits.header_bytes, 0xffffffffU)));
    body_limit(limits.body_bytes);
    eager(true);
  }

  void refuse(int status, std::string reason, error_code& ec) {
    if (!refusal.first) {
      refusal = {status, std::move(reason)};
    }
    ec = http::error::bad_value; // any error stops the parser; the refusal says which
  }

  void on_request_impl(http::verb, string_view method, string_view target, int version, error_code& ec) override {
    if (target.size() > limits.target_bytes) {
      return refuse(414, "the request target is longer than " + std::to_string(limits.target_bytes) + " bytes", ec);
    }
    request.method = text_of(method);
    request.target = text_of(target);
    auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    request.query = question == std::string::npos ? "" : request.target.substr(question + 1);
    request.version = version;
    line_read = true;
  }

  void on_response_impl(int, string_view, int, error_code&) override {}

  void on_field_impl(http::field name, string_view name_string, string_view value, error_code& ec) override {
    if (request.headers.size() >= limits.header_lines) {
      return refuse(431, "the request has more than " + std::to_string(limits.header_lines) + " headers", ec);
    }
    if (name == http::field::content_length && ++content_lengths > 1) {
      return refuse(400, "the request has two Content-Length headers", ec);
    }
    if (name == http::field::transfer_encoding) {
      transfer_encoding = true;
    }
    if (name == http::field::expect && beast::iequals(value, "100-continue")) {
      continue_expected = true;
    }
    request.headers.emplace_back(text_of(name_string), text_of(value));
  }

  void on_header_impl(error_code& ec) override {
    if (transfer_encoding && !chunked()) {
      return refuse(400, "the request's Transfer-Encoding does not end in chunked", ec);
    }
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}

  size_t on_body_impl(string_view body, error_code&) override {
    request.body.append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}

  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    request.body.append(body.data(), body.size());
    return body.size();
  }

  void on_finish_impl(error_code&) override {}

  ServerLimits limits;
  ServerRequest request;
  bool line_read = false; ///< the request line is in: an overrun now is the headers'
  int content_lengths = 0;
  bool transfer_encoding = false;
  bool continue_expected = false;
  std::pair<int, std::string> refusal{0, ""};
};

RequestReader::RequestReader(const ServerLimits& limits) : m_parser(std::make_unique<Parser>(limits)) {}

RequestReader::~RequestReader() = default;

RequestReader::Progress RequestReader::feed(std::string& input) {
  auto& parser = *m_parser;
  if (parser.refusal.first) {
    return Progress::refused;
  }
  auto buffered = input.size();
  auto error = put_all(parser, input);
  if (parser.refusal.first) {
    return Progress::refused;
  }
  if (error == http::error::header_limit) {
    // Which part ran over: a request line that never ends is a 414, anything else a 431.
    auto line_end = std::string_view(input).substr(0, std::min(buffered, parser.limits.header_bytes)).find("\r\n");
    bool line = !parser.line_read && (line_end == std::string_view::npos || line_end > parser.limits.target_bytes + 32);
    parser.refusal = line ? std::pair<int, std::string>{414, "the request target is longer than " +
                                                                 std::to_string(parser.limits.target_bytes) + " bytes"}
                          : std::pair<int, std::string>{431, "the request's headers are larger than " +
                                                                 std::to_string(parser.limits.header_bytes) + " bytes"};
    return Progress::refused;
  }
  if (error == http::error::body_limit) {
    parser.refusal = {413, "the request's body is larger than " + std::to_string(parser.limits.body_bytes) + " bytes"};
    return Progress::refused;
  }
  if (error == http::error::bad_version) {
    parser.refusal = {505, "only HTTP/1.0 and HTTP/1.1 are served"};
    return Progress::refused;
  }
  if (error) {
    parser.refusal = {400, "the request is malformed (" + describe(error) + ")"};
    return Progress::refused;
  }
  return parser.is_done() ? Progress::complete : Progress::more;
}

bool RequestReader::headers_done() const { return m_parser->is_header_done(); }

bool RequestReader::expects_continue() const { return m_parser->continue_expected; }

const std::pair<int, std::string>& RequestReader::refusal() const { return m_parser->refusal; }

ServerRequest RequestReader::take() { return std::move(m_parser->request); }

bool RequestReader::keep_alive() const { return m_parser->keep_alive(); }

// --- responses ---

struct ResponseReader::Parser : public http::basic_parser<false> {
  Parser(const Limits& reader_limits, BodySink body_sink) : limits(reader_limits), sink(std::move(body_sink)) {
    header_limit(static_cast<std::uint32_t>(std::min<size_t>(limits.header_bytes, 0xffffffffU)));
    // With a sink the body is not kept, so it has no limit here. Not boost::none: Beast 1.74 compares a
    // Content-Length with the optional limit as `len > body_limit_`, which is true for none.
    body_limit(sink ? std::numeric_limits<std::uint64_t>::max() : std::uint64_t(limits.body_bytes));
    eager(true);
  }

  void fail(TransportFailure kind, std::string what, error_code& ec) {
    if (failure.second.empty()) {
      failure = {kind, std::move(what)};
    }
    ec = http::error::bad_value;
  }

  void on_request_impl(http::verb, string_view, string_view, int, error_code&) override {}

  void on_response_impl(int code, string_view, int, error_code&) override { response.status = code; }

  void on_field_impl(http::field, string_view name, string_view value, error_code& ec) override {
    if (response.headers.size() >= limits.header_lines) {
      return fail(TransportFailure::too_large, "has more than " + std::to_string(limits.header_lines) + " header lines",
                  ec);
    }
    response.headers.emplace_back(lower(name), text_of(value));
  }

  void on_header_impl(error_code&) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}

  size_t take_body(string_view body, error_code& ec) {
    if (sink) {
      if (!sink(std::string_view(body.data(), body.size()))) {
        fail(TransportFailure::no_answer, "was not read to its end", ec);
      }
    } else {
      response.body.append(body.data(), body.size());
    }
    return body.size();
  }

  size_t on_body_impl(string_view body, error_code& ec) override { return take_body(body, ec); }

  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}

  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override { return take_body(body, ec); }

  void on_finish_impl(error_code&) override {}

  /// An error from Beast, as a failure.
  Progress failed(const error_code& error) {
    if (failure.second.empty()) {
      if (error == http::error::header_limit) {
        failure = {TransportFailure::too_large,
                   "has headers larger than " + std::to_string(limits.header_bytes) + " bytes"};
      } else if (error == http::error::body_limit) {
        failure = {TransportFailure::too_large, "is larger than " + std::to_string(limits.body_bytes) + " bytes"};
      } else if (error == http::error::partial_message) {
        failure = {TransportFailure::no_answer, "ended before it was complete"};
      } else {
        failure = {TransportFailure::no_answer, "is not HTTP (" + describe(error) + ")"};
      }
    }
    return Progress::failed;
  }

  Limits limits;
  BodySink sink;
  HttpResponse response;
  std::pair<TransportFailure, std::string> failure{TransportFailure::no_answer, ""};
};

ResponseReader::ResponseReader(const Limits& limits, bool head_request, BodySink sink)
    : m_parser(std::make_unique<Parser>(limits, std::move(sink))) {
  m_parser->skip(head_request);
}

ResponseReader::~ResponseReader() = default;

ResponseReader::Progress ResponseReader::feed(std::string& input) {
  auto& parser = *m_parser;
  if (!parser.failure.second.empty()) {
    return Progress::failed;
  }
  auto error = put_all(parser, input);
  if (error || !parser.failure.second.empty()) {
    return parser.failed(error);
  }
  return parser.is_done() ? Progress::complete : Progress::more;
}

ResponseReader::Progress ResponseReader::end_of_input() {
  auto& parser = *m_parser;
  if (parser.is_done()) {
    return Progress::complete;
  }
  if (!parser.is_header_done()) {
    return parser.failed(http::error::partial_message);
  }
  error_code error;
  parser.put_eof(error);
  if (error) {
    return parser.failed(error);
  }
  return parser.is_done() ? Progress::complete : parser.failed(http::error::partial_message);
}

bool ResponseReader::head_done() const { return m_parser->is_header_done(); }

int ResponseReader::status() const { return m_parser->response.status; }

const Headers& ResponseReader::headers() const { return m_parser->response.headers; }

const std::pair<TransportFailure, std::string>& ResponseReader::failure() const { return m_parser->failure; }

HttpResponse ResponseReader::take() { return std::move(m_parser->response); }

bool ResponseReader::keep_alive() const { return m_parser->keep_alive(); }

} // namespace keap::net
