#include "oauth/receiver.hpp"

#include "core/error.hpp"
#include "core/redaction.hpp"
#include "html/html.hpp"
#include "html/templates.hpp"
#include "net/crypto.hpp"
#include "util/fd.hpp"

#include <algorithm>

#include <netinet/in.h>
#include <sys/socket.h>

namespace keap::oauth {

namespace {

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

/// A browser sends its whole request at once; nothing legitimate needs more than this.
net::ServerLimits receiver_limits() {
  net::ServerLimits limits;
  limits.header_bytes = 16 * 1024;
  limits.target_bytes = 8 * 1024;
  limits.body_bytes = 64 * 1024;
  limits.header_timeout = std::chrono::seconds(2);
  limits.idle_timeout = std::chrono::seconds(2);
  limits.body_timeout = std::chrono::seconds(2);
  limits.write_timeout = std::chrono::seconds(10);
  limits.max_connections = 256;
  limits.keep_alive = false;
  return limits;
}

net::ServerResponse html_response(int status, const std::string& html, const std::string& location = {}) {
  net::ServerResponse response{status, {}, html, false};
  for (const auto& [name, value] : html::page_headers()) {
    response.headers.emplace_back(name, value);
  }
  if (!location.empty()) {
    response.headers.emplace_back("Location", location);
  }
  response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  return response;
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
  m_server = std::make_unique<net::HttpServer>(
      [this](net::ServerRequest request, net::Responder responder) { serve(request, responder); }, receiver_limits(),
      [](int status, const std::string& reason) {
        return html_response(status,
                             html::error_page("Request refused", "keap-auth's receiver refused it: " + reason + "."));
      },
      tls);
  bind(*redirect);
  if (redirect->port == 0) {
    redirect->port = m_port;
    redirect->explicit_port = true;
    m_redirect_uri = redirect->to_string();
  } else {
    m_redirect_uri = redirect_uri;
  }
  m_server->start(1);
}

Receiver::~Receiver() {
  std::optional<net::Responder> held;
  {
    std::lock_guard lock(m_mutex);
    if (!m_outcome) {
      m_outcome = LoginOutcome{false, "keap-auth stopped", "keap-auth stopped before the login finished.", "", ""};
    }
    held = std::exchange(m_held, std::nullopt);
    if (held) {
      answer(*held, outcome_page());
    }
  }
  m_changed.notify_all();
  // A short grace lets an answer being written (the success page) reach the browser.
  m_server->stop(std::chrono::milliseconds(300));
}

void Receiver::bind(const util::Url& redirect) {
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
    m_port = m_server->listen_tcp(address, m_port, "redirect_uri " + redirect.to_string(), busy_port_hint(m_port));
  }
  util::Url bound = redirect;
  bound.port = m_port;
  m_bound = bound;
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

void Receiver::serve(const net::ServerRequest& request, const net::Responder& responder) {
  if (auto page = handle(request, responder)) {
    answer(responder, *page, &request);
  } else if (m_log) {
    m_log("receiver: " + request.method + " " + request.path + "?" + redact_form(request.query) +
          " -> held until the login ends");
  }
}

void Receiver::answer(const net::Responder& responder, const Page& page, const net::ServerRequest* request) {
  if (m_log && request != nullptr) {
    m_log("receiver: " + request->method + " " + request->path +
          (request->query.empty() ? "" : "?" + redact_form(request->query)) + " -> " + std::to_string(page.status));
  }
  responder.send(html_response(page.status, page.html, page.location));
}

std::optional<Receiver::Page> Receiver::handle(const net::ServerRequest& request, const net::Responder& responder) {
  auto host = request.header("Host");
  if (std::find(m_allowed_hosts.begin(), m_allowed_hosts.end(), host) == m_allowed_hosts.end()) {
    return Page{403,
                html::error_page("Wrong host",
                                 "This server answers only requests addressed to " + m_allowed_hosts.front() + "."),
                {}};
  }
  if (!m_start_path.empty() && request.path.starts_with(k_start_prefix)) {
    return start_page(request);
  }
  if (request.path != m_callback_path && request.path != k_result_path) {
    return Page{404, html::error_page("Not found", "keap-auth's receiver has nothing at this address."), {}};
  }
  if (request.method != "GET") {
    return Page{405, html::error_page("Method not allowed", "Only GET is answered here."), {}};
  }
  if (request.path == k_result_path) {
    std::lock_guard lock(m_mutex);
    if (!m_outcome || !m_outcome->success) {
      return Page{404, html::error_page("Not found", "No login has finished here."), {}};
    }
    m_shown = true;
    m_changed.notify_all();
    return Page{200,
                html::render_template(html::templates::k_success_html,
                                      {{"message", m_outcome->message}, {"saved_to", m_outcome->saved_to}}),
                {}};
  }
  return handle_callback(request.query, responder);
}

std::string Receiver::start_address(const std::string& authorize_url) {
  m_authorize_url = authorize_url;
  m_start_path = std::string(k_start_prefix) + net::random_url_safe(32);
  util::Url start = m_bound;
  start.path = m_start_path;
  start.query.clear();
  return start.to_string();
}

std::optional<Receiver::Page> Receiver::start_page(const net::ServerRequest& request) {
  if (request.method != "GET" || !net::same_secret(request.path, m_start_path)) {
    return Page{404, html::error_page("Not found", "keap-auth's receiver has nothing at this address."), {}};
  }
  if (++m_start_uses == 1) {
    return Page{303, "", m_authorize_url};
  }
  m_changed.notify_all();
  return Page{
      409,
      html::error_page("This sign-in was stopped",
                       "Its start address was opened a second time. Another program on this computer may "
                       "have read it, so keap-auth stopped the login; nothing was saved.",
                       "Run keap-auth login again (or keap-auth login --no-browser and open its URL yourself)."),
      {}};
}

std::optional<Receiver::Page> Receiver::handle_callback(const std::string& query, const net::Responder& responder) {
  auto callback = parse_callback(query);
  if (!callback.state || !net::same_secret(*callback.state, m_expected_state)) {
    return Page{400,
                html::error_page("This request does not belong to the login in progress",
                                 callback.state ? "The state parameter does not match the request keap-auth made."
                                                : "The request carries no state parameter.",
                                 "It was ignored. If you are signing in, finish in the browser window keap-auth "
                                 "opened."),
                {}};
  }
  if (callback.problem || (!callback.code && !callback.error)) {
    return Page{400,
                html::error_page("Unusable answer from the authorization server",
                                 callback.problem ? "The redirect was not usable: " + *callback.problem + "."
                                                  : "The redirect carries neither a code nor an error.",
                                 "It was ignored; keap-auth keeps waiting."),
                {}};
  }
  std::lock_guard lock(m_mutex);
  if (m_callback) {
    return Page{409,
                html::error_page("Already answered", "This login has already received its answer.",
                                 "See the terminal running keap-auth."),
                {}};
  }
  m_callback = std::move(callback);
  m_changed.notify_all();
  if (m_outcome) {
    return outcome_page();
  }
  m_held = responder;
  return std::nullopt;
}

Receiver::Page Receiver::outcome_page() {
  if (m_outcome->success) {
    return Page{303, "", k_result_path}; // the code leaves the address bar and the history
  }
  m_shown = true;
  m_changed.notify_all();
  return Page{400, html::error_page(m_outcome->title, m_outcome->message, m_outcome->hint), {}};
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
    if (auto held = std::exchange(m_held, std::nullopt)) {
      answer(*held, outcome_page());
    }
  }
  m_changed.notify_all();
}

void Receiver::wait_until_shown(std::chrono::milliseconds limit) {
  std::unique_lock lock(m_mutex);
  m_changed.wait_for(lock, limit, [this] { return m_shown; });
}

} // namespace keap::oauth
