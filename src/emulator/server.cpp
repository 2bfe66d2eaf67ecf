#include "emulator/server.hpp"

#include "core/redaction.hpp"
#include "emulator/multipart.hpp"
#include "emulator/routes.hpp"
#include "html/html.hpp"
#include "html/templates.hpp"
#include "util/encoding.hpp"

namespace keap::emulator {

namespace {

using namespace std::chrono_literals;

net::ServerResponse page(int status, const std::string& html, bool form_redirects = false) {
  net::ServerResponse response{status, {}, html, false};
  for (const auto& [name, value] : html::page_headers(form_redirects)) {
    response.headers.emplace_back(name, value);
  }
  response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  return response;
}

net::ServerResponse redirect(const std::string& location) {
  return {302, {{"Location", location}, {"Cache-Control", "no-store"}}, "", false};
}

std::string problem_page(const std::string& message) {
  return html::error_page("Keap emulator: cannot authorize", message);
}

/// Keap's own limits are unknown; these are generous for tests (a 32 MiB upload is 43 MiB as base64)
/// and still bounded, as every server keap-auth runs must be.
net::ServerLimits emulator_limits() {
  net::ServerLimits limits;
  limits.header_bytes = 32 * 1024;
  limits.body_bytes = 64 * 1024 * 1024;
  limits.header_timeout = 10s;
  limits.body_timeout = 120s;
  return limits;
}

/// The head of a response written by hand, for the deliveries that play a broken server.
std::string raw_head(int status, const std::string& content_type, size_t content_length) {
  return "HTTP/1.1 " + std::to_string(status) + " " + net::reason_phrase_of(status) +
         "\r\nContent-Type: " + content_type +
         "\r\nCache-Control: no-store\r\nContent-Length: " + std::to_string(content_length) +
         "\r\nConnection: close\r\n\r\n";
}

/// After the body, a blank every 200 ms, for as long as the client keeps reading.
void trickle(const std::shared_ptr<net::ResponseStream>& stream) {
  stream->after(200ms, [stream] {
    stream->write(" ", [stream](bool written) {
      if (written) {
        trickle(stream);
      }
    });
  });
}

} // namespace

Server::Server(Settings settings, int port, const net::TlsIdentity* tls, RestSettings rest)
    : m_state(std::move(settings)), m_rest(m_state, std::move(rest)), m_scheme(tls ? "https" : "http") {
  m_server = std::make_unique<net::HttpServer>(
      [this](net::ServerRequest request, net::Responder responder) { serve(std::move(request), responder); },
      emulator_limits(),
      [](int status, const std::string& reason) {
        return page(status, html::error_page("Keap emulator: bad request", reason + "."));
      },
      tls);
  m_port = m_server->listen_tcp("127.0.0.1", port, "the emulator", "choose another --port, or 0 for any free one");
}

Server::~Server() { stop(); }

void Server::start() { m_server->start(2); }

void Server::run() {
  start();
  std::unique_lock lock(m_mutex);
  m_stopped_changed.wait(lock, [this] { return m_stopped; });
}

void Server::stop() {
  m_server->stop(std::chrono::milliseconds(0));
  {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
  }
  m_stopped_changed.notify_all();
}

void Server::log_request(const net::ServerRequest& request, int status) const {
  if (!m_request_log) {
    return;
  }
  std::string line = request.method + " " + request.path + " -> " + std::to_string(status);
  for (const char* name : {"Content-Type", "Content-Length", "Transfer-Encoding"}) {
    if (request.count(name) > 0) {
      line += " (" + std::string(name) + ": " + request.header(name) + ")";
    }
  }
  for (const char* name : {"Authorization", "X-Keap-API-Key"}) {
    if (request.count(name) > 0) {
      line += " (" + std::string(name) + ": " + redact_header(name, request.header(name)) + ")";
    }
  }
  m_request_log(line + " body " + std::to_string(request.body.size()) + " bytes");
}

void Server::send_reply(const net::Responder& responder, const Reply& reply) {
  switch (reply.delivery) {
  case Delivery::whole: {
    net::ServerResponse response{reply.status, {{"Cache-Control", "no-store"}}, reply.body, false};
    if (!reply.content_type.empty()) {
      response.headers.emplace_back("Content-Type", reply.content_type);
    }
    if (!reply.location.empty()) {
      response.headers.emplace_back("Location", reply.location);
    }
    if (!reply.retry_after.empty()) {
      response.headers.emplace_back("Retry-After", reply.retry_after);
    }
    responder.send(std::move(response), reply.delay);
    return;
  }
  case Delivery::truncated: // the Content-Length says twice the body; the connection closes after it
    responder.send_raw(raw_head(reply.status, reply.content_type, reply.body.size() * 2) + reply.body, reply.delay);
    return;
  case Delivery::endless: {
    auto stream = responder.stream({reply.status, {{"Content-Type", reply.content_type}}, "", false});
    if (stream) {
      stream->write(reply.body, [stream](bool written) {
        if (written) {
          trickle(stream);
        }
      });
    }
    return;
  }
  }
}

void Server::serve(net::ServerRequest request, const net::Responder& responder) {
  const auto& path = request.path;
  const auto& method = request.method;
  int status = 0;
  auto reply = [&](const Reply& answer) {
    status = answer.status;
    send_reply(responder, answer);
  };
  auto send = [&](net::ServerResponse response) {
    status = response.status;
    responder.send(std::move(response));
  };
  auto query = util::parse_form(request.query).value_or(Parameters{});
  if (path == k_authorize_path && method == "GET") {
    if (auto problem = m_state.authorize_problem(query)) {
      send(page(400, problem_page(*problem)));
    } else if (m_state.settings().auto_approve) {
      send(redirect(m_state.decide(query, true, util::now_seconds())));
    } else {
      html::TemplateValues values{{"action", k_authorize_path}, {"app", m_state.settings().app}};
      for (const char* name :
           {"client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"}) {
        values.emplace_back(name, util::parameter_or_empty(query, name));
      }
      send(page(200, html::render_template(html::templates::k_consent_html, values), true));
    }
  } else if (path == k_authorize_path && method == "POST") {
    auto form = util::parse_form(request.body).value_or(Parameters{});
    form.emplace_back("response_type", "code");
    if (auto problem = m_state.authorize_problem(form)) {
      send(page(400, problem_page(*problem)));
    } else {
      send(redirect(m_state.decide(form, util::parameter_or_empty(form, "decision") == "allow", util::now_seconds())));
    }
  } else if (path == k_token_path && method == "POST") {
    if (request.count("Content-Length") == 0) {
      // Keap is known to reject bodies without a Content-Length.
      reply({400,
             R"({"error":"invalid_request","error_description":"Content-Length required"})",
             "",
             "application/json",
             "",
             {}});
    } else {
      TokenRequest token_request{request.header("Content-Type"), request.header("Authorization"), request.body};
      reply(m_state.token(token_request, util::now_seconds()));
    }
  } else if (path == k_userinfo_path && method == "GET" && request.count("X-Keap-API-Key") == 0 &&
             !m_rest.is_key_authorization(request.header("Authorization"))) {
    reply(m_state.userinfo(request.header("Authorization"), util::now_seconds()));
  } else if (path.starts_with(std::string(k_rest_prefix) + "/")) {
    return serve_rest(request, responder);
  } else {
    send(page(404, html::error_page("Keap emulator: not found", "Nothing is served at this address.")));
  }
  log_request(request, status);
}

namespace {

/// Writes `total` bytes of a pattern a piece at a time, each after the one before has gone: the
/// emulator holds one piece, whatever the size.
struct Feeder : std::enable_shared_from_this<Feeder> {
  Feeder(std::shared_ptr<net::ResponseStream> response, long long length) : stream(std::move(response)), total(length) {}
  void next() {
    if (sent >= total) {
      return stream->finish();
    }
    auto size = std::min<long long>(64 * 1024, total - sent);
    std::string piece(static_cast<size_t>(size), 'k');
    sent += size;
    stream->write(std::move(piece), [self = shared_from_this()](bool written) {
      written ? self->next() : self->stream->abort();
    });
  }
  std::shared_ptr<net::ResponseStream> stream;
  long long total;
  long long sent = 0;
};

void stream_body(std::shared_ptr<net::ResponseStream> stream, long long total) {
  std::make_shared<Feeder>(std::move(stream), total)->next();
}

} // namespace


void Server::serve_rest(const net::ServerRequest& request, const net::Responder& responder) {
  ApiCall call;
  call.method = request.method;
  call.path = request.path.substr(std::string_view(k_rest_prefix).size());
  call.query = request.query;
  call.headers = request.headers;
  call.body = request.body;
  call.arrived = std::chrono::steady_clock::now();
  call.chunked = request.header("Transfer-Encoding").find("chunked") != std::string::npos;
  if (auto boundary = multipart_boundary(request.header("Content-Type"))) {
    call.parts = parse_multipart(request.body, *boundary).value_or(FormParts{});
  }
  auto reply = m_rest.handle(call, util::now_seconds());
  log_request(request, reply.reset ? 0 : reply.status);
  if (reply.reset) {
    // The headers go out, then the connection ends before the body: no complete answer.
    responder.send_raw(raw_head(200, "application/json", 64), reply.delay);
    return;
  }
  net::ServerResponse response{reply.status, reply.headers, reply.body, false};
  if (!reply.body.empty() || !reply.content_type.empty()) {
    response.headers.emplace_back("Content-Type", reply.content_type);
  }
  if (reply.streamed_bytes > 0) {
    response.headers.emplace_back("Content-Length", std::to_string(reply.streamed_bytes));
    return stream_body(responder.stream(response), reply.streamed_bytes);
  }
  responder.send(std::move(response), reply.delay);
}

} // namespace keap::emulator
