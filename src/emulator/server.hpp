#pragma once

#include "emulator/rest_api.hpp"
#include "emulator/state.hpp"
#include "net/http_server.hpp"
#include "net/tls_identity.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace keap::emulator {

/// The emulator's HTTP face: /app/oauth/authorize (consent page or auto-approve), POST /token, and
/// the REST API under /crm/rest (userinfo included), on 127.0.0.1 only, over HTTP or, given a
/// certificate, HTTPS. Binds in the constructor.
class Server {
public:
  explicit Server(Settings settings, int port = 0, const net::TlsIdentity* tls = nullptr, RestSettings rest = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return m_port; }
  std::string base_url() const { return m_scheme + "://127.0.0.1:" + std::to_string(m_port); }
  State& state() { return m_state; }
  RestApi& rest() { return m_rest; }

  void start(); ///< serves on background threads until stop()
  void run();   ///< serves until stop() is called from another thread
  void stop();

  /// Each request as it is served (method, path, the framing and credential headers, body size): what
  /// Keap would have seen, never a secret.
  void set_request_log(std::function<void(const std::string&)> log) { m_request_log = std::move(log); }

private:
  void serve(net::ServerRequest request, const net::Responder& responder);
  void send_reply(const net::Responder& responder, const Reply& reply);
  void serve_rest(const net::ServerRequest& request, const net::Responder& responder);
  void log_request(const net::ServerRequest& request, int status) const;

  State m_state;
  RestApi m_rest;
  std::unique_ptr<net::HttpServer> m_server;
  int m_port = 0;
  std::string m_scheme = "http";
  std::function<void(const std::string&)> m_request_log;
  std::mutex m_mutex;
  std::condition_variable m_stopped_changed;
  bool m_stopped = false;
};

} // namespace keap::emulator
