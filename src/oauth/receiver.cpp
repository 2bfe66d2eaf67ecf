#include "oauth/receiver.hpp"

#include "core/error.hpp"
#include "core/redaction.hpp"
#include "html/html.hpp"
#include "html/templates.hpp"
#include "net/connection_threads.hpp"
#include "net/crypto.hpp"
#include "net/http_server.hpp"
#include "util/fd.hpp"

#include <httplib.h>

#include <algorithm>

#include <netinet/in.h>
#include <sys/socket.h>

namespace keap::oauth {

namespace {

/// How long the browser's callback request is held open for keap-auth to finish the exchange.
constexpr auto k_browser_wait = std::chrono::seconds(120);

/// True when this machine can bind IPv6 loopback at all (containers often cannot).
bool ipv6_loopback_available() {
  util::Fd socket(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket) {
    return false;
  }
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  return ::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

std::string busy_port_hint(int port) {
  auto text = std::to_string(port);
  return "stop whatever uses port " + text + " (`ss -ltnp 'sport = :" + text +
         "'`), or set redirect_uri to another port and register that URI with the app";
}

} // namespace

Receiver::Receiver(const std::string& redirect_uri, std::string expected_state, const net::TlsIdentity* tls)
    : m_expected_state(std::move(expected_state)) {
  auto redirect = util::parse_url(redirect_uri);
  if (!redirect || (redirect->scheme == "https") != (tls != nullptr)) {
    throw Error(ExitCode::failure, "internal error: a receiver needs a valid redirect_uri, and a certificate "
                                   "exactly when it is https");
  }
  m_callback_path = redirect->path;
  bind(*redirect, tls);
  if (redirect->port == 0) {
    redirect->port = m_port;
    redirect->explicit_port = true;
    m_redirect_uri = redirect->to_string();
  } else {
    m_redirect_uri = redirect_uri;
  }
  for (auto& server : m_servers) {
    m_threads.emplace_back([raw = server.get()] { raw->listen_after_bind(); });
  }
}

Receiver::~Receiver() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_outcome) {
      m_outcome = LoginOutcome{false, "keap-auth stopped", "keap-auth stopped before the login finished.", "", ""};
    }
  }
  m_changed.notify_all();
  stop();
}

void Receiver::stop() {
  for (auto& server : m_servers) {
    server->stop(); // no new connections
  }
  // Connections already open may belong to clients that never finish a request; shutting their sockets
  // down ends the threads serving them. A short grace first lets an answer being written (the success
  // page) reach the browser; then the sweep repeats until every thread is joined, for a connection
  // accepted in the instant before stop() took effect.
  std::atomic<bool> joined{false};
  std::thread sweeper([this, &joined] {
    auto grace_ends = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (!joined && std::chrono::steady_clock::now() < grace_ends) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    while (!joined) {
      net::shutdown_accepted_connections(m_port);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  for (auto& thread : m_threads) {
    thread.join();
  }
  joined = true;
  sweeper.join();
}

void Receiver::bind(const util::Url& redirect, const net::TlsIdentity* tls) {
  // "localhost" may resolve to either family in the browser, so it gets both loopback addresses.
  std::vector<std::string> addresses{redirect.host};
  if (redirect.host == "localhost") {
    addresses = {"127.0.0.1"};
    if (ipv6_loopback_available()) {
      addresses.emplace_back("::1");
    }
  }
  m_port = redirect.port;
  for (const auto& address : addresses) {
    auto server = net::make_http_server(tls);
    server->set_keep_alive_max_count(1);
    server->set_read_timeout(std::chrono::seconds(2)); // a browser sends its request at once
    server->set_keep_alive_timeout(2);                 // also the wait for a connection's first request
    server->new_task_queue = [] { return new net::ConnectionThreads; };
    server->set_payload_max_length(64 * 1024);
    server->set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
      std::string location;
      auto query_start = request.target.find('?');
      auto query = query_start == std::string::npos ? std::string{} : request.target.substr(query_start + 1);
      auto page = handle(request.method, request.path, query, request.get_header_value("Host"), location);
      response.status = page.status;
      for (const auto& [name, value] : html::page_headers()) {
        response.set_header(name, value);
      }
      if (!location.empty()) {
        response.set_header("Location", location);
      }
      response.set_content(page.html, "text/html; charset=utf-8");
      if (m_log) {
        m_log("receiver: " + request.method + " " + request.path + (query.empty() ? "" : "?" + redact_form(query)) +
              " -> " + std::to_string(page.status));
      }
      return httplib::Server::HandlerResponse::Handled;
    });
    m_port = net::bind_server(*server, address, m_port, "redirect_uri " + redirect.to_string(), busy_port_hint(m_port));
    m_servers.push_back(std::move(server));
  }
  util::Url bound = redirect;
  bound.port = m_port;
  m_allowed_hosts = {bound.authority()};
  if (util::is_loopback_host(bound.host)) {
    for (const char* host : {"localhost", "127.0.0.1", "[::1]"}) {
      m_allowed_hosts.push_back(std::string(host) + ":" + std::to_string(m_port));
      if (!bound.explicit_port && m_port == (bound.scheme == "https" ? 443 : 80)) {
        m_allowed_hosts.emplace_back(host); // a browser leaves the default port out of Host
      }
    }
  }
}

Receiver::Page Receiver::handle(const std::string& method, const std::string& path, const std::string& query,
                                const std::string& host, std::string& location) {
  if (std::find(m_allowed_hosts.begin(), m_allowed_hosts.end(), host) == m_allowed_hosts.end()) {
    return {403, html::error_page("Wrong host",
                                  "This server answers only requests addressed to " + m_allowed_hosts.front() + ".")};
  }
  if (path != m_callback_path && path != k_result_path) {
    return {404, html::error_page("Not found", "keap-auth's receiver has nothing at this address.")};
  }
  if (method != "GET") {
    return {405, html::error_page("Method not allowed", "Only GET is answered here.")};
  }
  if (path == k_result_path) {
    std::lock_guard lock(m_mutex);
    if (!m_outcome || !m_outcome->success) {
      return {404, html::error_page("Not found", "No login has finished here.")};
    }
    m_shown = true;
    m_changed.notify_all();
    return {200, html::render_template(
                     html::templates::k_success_html,
                     {{"message", m_outcome->message}, {"credentials_file", m_outcome->credentials_file}})};
  }
  return handle_callback(query, location);
}

Receiver::Page Receiver::handle_callback(const std::string& query, std::string& location) {
  auto callback = parse_callback(query);
  if (!callback.state || !net::same_secret(*callback.state, m_expected_state)) {
    return {400, html::error_page("This request does not belong to the login in progress",
                                  callback.state ? "The state parameter does not match the request keap-auth made."
                                                 : "The request carries no state parameter.",
                                  "It was ignored. If you are signing in, finish in the browser window keap-auth "
                                  "opened.")};
  }
  if (callback.problem || (!callback.code && !callback.error)) {
    return {400, html::error_page("Unusable answer from the authorization server",
                                  callback.problem ? "The redirect was not usable: " + *callback.problem + "."
                                                   : "The redirect carries neither a code nor an error.",
                                  "It was ignored; keap-auth keeps waiting.")};
  }
  std::unique_lock lock(m_mutex);
  if (m_callback) {
    return {409, html::error_page("Already answered", "This login has already received its answer.",
                                  "See the terminal running keap-auth.")};
  }
  m_callback = std::move(callback);
  m_changed.notify_all();
  m_changed.wait_for(lock, k_browser_wait, [this] { return m_outcome.has_value(); });
  if (!m_outcome) {
    return {504, html::error_page("Still working", "keap-auth has not finished yet.", "See its terminal.")};
  }
  if (m_outcome->success) {
    location = k_result_path;
    return {303, ""};
  }
  m_shown = true;
  m_changed.notify_all();
  return {400, html::error_page(m_outcome->title, m_outcome->message, m_outcome->hint)};
}

std::optional<Callback> Receiver::wait_for_callback(std::chrono::steady_clock::time_point deadline,
                                                    const std::function<bool()>& cancelled) {
  std::unique_lock lock(m_mutex);
  while (!m_callback && !cancelled() && std::chrono::steady_clock::now() < deadline) {
    m_changed.wait_for(lock, std::chrono::milliseconds(100));
  }
  return m_callback;
}

void Receiver::finish(LoginOutcome outcome) {
  {
    std::lock_guard lock(m_mutex);
    m_outcome = std::move(outcome);
  }
  m_changed.notify_all();
}

void Receiver::wait_until_shown(std::chrono::milliseconds limit) {
  std::unique_lock lock(m_mutex);
  m_changed.wait_for(lock, limit, [this] { return m_shown; });
}

} // namespace keap::oauth
