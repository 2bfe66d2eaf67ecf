#include "emulator/server.hpp"

#include "emulator/routes.hpp"
#include "html/html.hpp"
#include "html/templates.hpp"
#include "net/http_server.hpp"

#include <httplib.h>

#include <thread>

namespace keap::emulator {

namespace {

Parameters query_of(const httplib::Request& request) {
  auto start = request.target.find('?');
  return util::parse_form(start == std::string::npos ? "" : request.target.substr(start + 1)).value_or(Parameters{});
}

std::string value_of(const Parameters& parameters, std::string_view name) {
  return util::find_parameter(parameters, name).value_or("");
}

void send_page(httplib::Response& response, int status, const std::string& html, bool form_redirects = false) {
  response.status = status;
  for (const auto& [name, value] : html::page_headers(form_redirects)) {
    response.set_header(name, value);
  }
  response.set_content(html, "text/html; charset=utf-8");
}

void send_redirect(httplib::Response& response, const std::string& location) {
  response.status = 302;
  response.set_header("Location", location);
  response.set_header("Cache-Control", "no-store");
}

std::string problem_page(const std::string& message) {
  return html::error_page("Keap emulator: cannot authorize", message);
}

} // namespace

Server::Server(Settings settings, int port, const net::TlsIdentity* tls, RestSettings rest)
    : m_state(std::move(settings)), m_rest(m_state, std::move(rest)), m_server(net::make_http_server(tls)),
      m_scheme(tls ? "https" : "http") {
  install_routes();
  m_server->set_keep_alive_max_count(1);
  m_server->set_payload_max_length(32 * 1024 * 1024); // file uploads
  m_port =
      net::bind_server(*m_server, "127.0.0.1", port, "the emulator", "choose another --port, or 0 for any free one");
}

Server::~Server() { stop(); }

void Server::start() {
  m_thread = std::thread([this] { m_server->listen_after_bind(); });
}

void Server::run() { m_server->listen_after_bind(); }

void Server::pause(std::chrono::milliseconds delay) const {
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until && !*m_stopping) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Server::send_reply(httplib::Response& response, const Reply& reply) {
  pause(reply.delay);
  response.status = reply.status;
  if (!reply.retry_after.empty()) {
    response.set_header("Retry-After", reply.retry_after);
  }
  response.set_header("Cache-Control", "no-store");
  switch (reply.delivery) {
  case Delivery::whole:
    response.set_content(reply.body, reply.content_type);
    return;
  case Delivery::truncated:
    response.set_content_provider(reply.body.size() * 2, reply.content_type,
                                  [body = reply.body](size_t offset, size_t, httplib::DataSink& sink) {
                                    if (offset == 0) {
                                      sink.write(body.data(), body.size());
                                      return true;
                                    }
                                    return false; // closes the connection mid-body
                                  });
    return;
  case Delivery::endless:
    response.set_chunked_content_provider(
        reply.content_type, [body = reply.body, stopping = m_stopping](size_t offset, httplib::DataSink& sink) {
          if (offset == 0) {
            sink.write(body.data(), body.size());
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            sink.write(" ", 1);
          }
          return !*stopping;
        });
    return;
  }
}

void Server::stop() {
  *m_stopping = true;
  m_server->stop();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void Server::install_routes() {
  m_server->Get(k_authorize_path, [this](const httplib::Request& request, httplib::Response& response) {
    auto query = query_of(request);
    if (auto problem = m_state.authorize_problem(query)) {
      return send_page(response, 400, problem_page(*problem));
    }
    if (m_state.settings().auto_approve) {
      return send_redirect(response, m_state.decide(query, true, util::now_seconds()));
    }
    html::TemplateValues values{{"action", k_authorize_path}, {"app", m_state.settings().app}};
    for (const char* name :
         {"client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"}) {
      values.emplace_back(name, value_of(query, name));
    }
    send_page(response, 200, html::render_template(html::templates::k_consent_html, values), true);
  });
  m_server->Post(k_authorize_path, [this](const httplib::Request& request, httplib::Response& response) {
    auto form = util::parse_form(request.body).value_or(Parameters{});
    form.emplace_back("response_type", "code");
    if (auto problem = m_state.authorize_problem(form)) {
      return send_page(response, 400, problem_page(*problem));
    }
    send_redirect(response, m_state.decide(form, value_of(form, "decision") == "allow", util::now_seconds()));
  });
  m_server->Post(k_token_path, [this](const httplib::Request& request, httplib::Response& response) {
    if (!request.has_header("Content-Length")) {
      // Keap is known to reject bodies without a Content-Length.
      return send_reply(response, {400,
                                   R"({"error":"invalid_request","error_description":"Content-Length required"})",
                                   "",
                                   "application/json",
                                   "",
                                   {}});
    }
    TokenRequest token_request{request.get_header_value("Content-Type"), request.get_header_value("Authorization"),
                               request.body};
    send_reply(response, m_state.token(token_request, util::now_seconds()));
  });
  m_server->Get(k_userinfo_path, [this](const httplib::Request& request, httplib::Response& response) {
    auto authorization = request.get_header_value("Authorization");
    bool key = request.has_header("X-Keap-API-Key") || authorization == "Bearer " + m_rest.personal_access_token() ||
               authorization == "Bearer " + m_rest.service_account_key();
    if (key) {
      return serve_rest(request, response);
    }
    send_reply(response, m_state.userinfo(authorization, util::now_seconds()));
  });
  auto rest = [this](const httplib::Request& request, httplib::Response& response) { serve_rest(request, response); };
  m_server->Get(k_rest_pattern, rest);
  m_server->Post(k_rest_pattern, rest);
  m_server->Put(k_rest_pattern, rest);
  m_server->Patch(k_rest_pattern, rest);
  m_server->Delete(k_rest_pattern, rest);
}

void Server::serve_rest(const httplib::Request& request, httplib::Response& response) {
  ApiCall call;
  call.method = request.method;
  call.path = request.path.substr(std::string_view(k_rest_prefix).size());
  auto question = request.target.find('?');
  call.query = question == std::string::npos ? "" : request.target.substr(question + 1);
  for (const auto& [name, value] : request.headers) {
    if (name != "REMOTE_ADDR" && name != "REMOTE_PORT" && name != "LOCAL_ADDR" && name != "LOCAL_PORT") {
      call.headers.emplace_back(name, value); // httplib adds those four itself
    }
  }
  call.body = request.body;
  call.chunked = request.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
  for (const auto& [name, part] : request.files) {
    call.parts.emplace(name, std::make_pair(part.filename, part.content));
  }
  auto reply = m_rest.handle(call, util::now_seconds());
  pause(reply.delay);
  if (reply.reset) {
    // The headers go out, then the connection ends before the body: no complete answer.
    response.set_content_provider(64, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
    return;
  }
  response.status = reply.status;
  for (const auto& [name, value] : reply.headers) {
    response.set_header(name, value);
  }
  if (!reply.body.empty() || !reply.content_type.empty()) {
    response.set_content(reply.body, reply.content_type);
  }
}

} // namespace keap::emulator
