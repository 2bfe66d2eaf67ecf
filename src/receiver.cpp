#include "receiver.hpp"

#include "error.hpp"
#include "http_server.hpp"
#include "html.hpp"
#include "redaction.hpp"
#include "templates.hpp"

#include <httplib.h>

#include <map>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace keap {

namespace {

constexpr auto k_browser_wait = std::chrono::seconds(120);

std::string error_page(const std::string& title, const std::string& message, const std::string& hint = {}) {
  return render_template(templates::k_error_html, {{"title", title}, {"message", message}, {"hint", hint}});
}

/// True when this machine can bind IPv6 loopback at all (containers often cannot).
bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  bool available = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return available;
}

/// Only SO_REUSEADDR: httplib's default adds SO_REUSEPORT, which would let another process share
/// the port and receive the browser's redirect.
void socket_options(int sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

/// httplib 0.11.4 listens with a backlog of 5: a burst of junk connections overflows it and the
/// browser's connection waits a second for a SYN retry. Listening again only raises the backlog.
void widen_backlog(int sock) {
  if (sock >= 0) {
    ::listen(sock, SOMAXCONN);
  }
}

Error port_error(const std::string& address, int port, const std::string& redirect_uri) {
  return Error(ExitCode::usage,
               "cannot listen on " + address + " port " + std::to_string(port) + " for redirect_uri " + redirect_uri +
                   ": the port is in use or the address is not on this machine",
               "stop whatever uses port " + std::to_string(port) + " (`ss -ltnp 'sport = :" + std::to_string(port) +
                   "'`), or set redirect_uri to another port and register that URI with the app");
}

} // namespace

Receiver::Receiver(const Url& redirect_uri, std::string expected_state, const TlsIdentity* tls)
    : m_callback_path(redirect_uri.path), m_expected_state(std::move(expected_state)) {
  if ((redirect_uri.scheme == "https") != (tls != nullptr)) {
    throw Error(ExitCode::failure, "internal error: an https receiver needs a certificate, an http one none");
  }
  bind(redirect_uri, tls);
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
  for (auto& server : m_servers) {
    server->stop();
  }
  for (auto& thread : m_threads) {
    thread.join();
  }
}

namespace {

/// One thread per connection (up to a cap) instead of httplib's fixed pool of 8, so clients that
/// connect and stall cannot keep the browser's real callback waiting for a worker. Threads are joined,
/// never detached: a thread still unwinding when the process exits would race OpenSSL's per-thread
/// cleanup (LeakSanitizer caught exactly that).
class ConnectionThreads : public httplib::TaskQueue {
public:
  void enqueue(std::function<void()> task) override {
    std::unique_lock lock(m_mutex);
    join_finished();
    m_room.wait(lock, [this] { return m_running < k_most_connections; });
    ++m_running;
    auto id = m_next_id++;
    m_threads.emplace(id, std::thread([this, id, task = std::move(task)] {
      task();
      std::lock_guard inner(m_mutex);
      --m_running;
      m_finished.push_back(id);
      m_room.notify_all();
    }));
  }

  void shutdown() override {
    std::unique_lock lock(m_mutex);
    m_room.wait(lock, [this] { return m_running == 0; });
    auto threads = std::move(m_threads);
    lock.unlock();
    for (auto& [id, thread] : threads) {
      thread.join();
    }
  }

private:
  /// Joins the threads that have finished their connection; called with the mutex held, which they
  /// no longer need.
  void join_finished() {
    for (auto id : m_finished) {
      auto found = m_threads.find(id);
      found->second.join();
      m_threads.erase(found);
    }
    m_finished.clear();
  }

  static constexpr int k_most_connections = 256;
  std::mutex m_mutex;
  std::condition_variable m_room;
  int m_running = 0;
  unsigned long m_next_id = 0;
  std::map<unsigned long, std::thread> m_threads;
  std::vector<unsigned long> m_finished;
};

} // namespace

void Receiver::bind(const Url& redirect_uri, const TlsIdentity* tls) {
  // "localhost" may resolve to either family in the browser, so it gets both loopback addresses.
  std::vector<std::string> addresses{redirect_uri.host};
  if (redirect_uri.host == "localhost") {
    addresses = {"127.0.0.1"};
    if (ipv6_loopback_available()) {
      addresses.emplace_back("::1");
    }
  }
  int port = redirect_uri.port;
  for (const auto& address : addresses) {
    auto server = make_http_server(tls);
    int listening = -1;
    server->set_socket_options([&listening](int sock) {
      socket_options(sock);
      listening = sock;
    });
    server->set_keep_alive_max_count(1);
    server->set_read_timeout(std::chrono::seconds(2)); // a browser sends its request at once
    server->set_keep_alive_timeout(2);                  // also the wait for a connection's first request
    server->new_task_queue = [] { return new ConnectionThreads; };
    server->set_payload_max_length(64 * 1024);
    server->set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
      std::string location;
      auto query_start = request.target.find('?');
      auto query = query_start == std::string::npos ? std::string{} : request.target.substr(query_start + 1);
      auto page = handle(request.method, request.path, query, request.get_header_value("Host"), location);
      response.status = page.status;
      for (const auto& [name, value] : page_headers()) {
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
    if (port == 0) {
      port = server->bind_to_any_port(address);
      if (port < 0) {
        throw port_error(address, 0, redirect_uri.to_string());
      }
    } else if (!server->bind_to_port(address, port)) {
      throw port_error(address, port, redirect_uri.to_string());
    }
    widen_backlog(listening);
    m_servers.push_back(std::move(server));
  }
  Url bound = redirect_uri;
  bound.port = port;
  bound.explicit_port = true;
  m_redirect_uri = bound.to_string();
  m_allowed_hosts = {bound.authority()};
  if (is_loopback_host(bound.host)) {
    for (const char* host : {"localhost", "127.0.0.1", "[::1]"}) {
      m_allowed_hosts.push_back(std::string(host) + ":" + std::to_string(port));
    }
  }
}

Receiver::Page Receiver::handle(const std::string& method, const std::string& path, const std::string& query,
                                const std::string& host, std::string& location) {
  if (std::find(m_allowed_hosts.begin(), m_allowed_hosts.end(), host) == m_allowed_hosts.end()) {
    return {403, error_page("Wrong host", "This server answers only requests addressed to " + m_allowed_hosts.front() + ".")};
  }
  if (path != m_callback_path && path != k_result_path) {
    return {404, error_page("Not found", "keap-auth's receiver has nothing at this address.")};
  }
  if (method != "GET") {
    return {405, error_page("Method not allowed", "Only GET is answered here.")};
  }
  if (path == k_result_path) {
    std::lock_guard lock(m_mutex);
    if (!m_outcome || !m_outcome->success) {
      return {404, error_page("Not found", "No login has finished here.")};
    }
    m_shown = true;
    m_changed.notify_all();
    return {200, render_template(templates::k_success_html, {{"message", m_outcome->message},
                                                             {"credentials_file", m_outcome->credentials_file}})};
  }
  return handle_callback(query, location);
}

Receiver::Page Receiver::handle_callback(const std::string& query, std::string& location) {
  auto callback = parse_callback(query);
  if (!callback.state || !same_secret(*callback.state, m_expected_state)) {
    return {400, error_page("This request does not belong to the login in progress",
                            callback.state ? "The state parameter does not match the request keap-auth made."
                                           : "The request carries no state parameter.",
                            "It was ignored. If you are signing in, finish in the browser window keap-auth opened.")};
  }
  if (callback.problem || (!callback.code && !callback.error)) {
    return {400, error_page("Unusable answer from the authorization server",
                            callback.problem ? "The redirect was not usable: " + *callback.problem + "."
                                             : "The redirect carries neither a code nor an error.",
                            "It was ignored; keap-auth keeps waiting.")};
  }
  std::unique_lock lock(m_mutex);
  if (m_callback) {
    return {409, error_page("Already answered", "This login has already received its answer.",
                            "See the terminal running keap-auth.")};
  }
  m_callback = std::move(callback);
  m_changed.notify_all();
  m_changed.wait_for(lock, k_browser_wait, [this] { return m_outcome.has_value(); });
  if (!m_outcome) {
    return {504, error_page("Still working", "keap-auth has not finished yet.", "See its terminal.")};
  }
  if (m_outcome->success) {
    location = k_result_path;
    return {303, ""};
  }
  m_shown = true;
  m_changed.notify_all();
  return {400, error_page(m_outcome->title, m_outcome->message, m_outcome->hint)};
}

std::optional<Callback> Receiver::wait_for_callback(std::chrono::steady_clock::time_point deadline,
                                                    const std::atomic<bool>& cancelled) {
  std::unique_lock lock(m_mutex);
  while (!m_callback && !cancelled && std::chrono::steady_clock::now() < deadline) {
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

} // namespace keap
