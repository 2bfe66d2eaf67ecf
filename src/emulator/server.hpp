#pragma once

#include "emulator/rest_api.hpp"
#include "emulator/state.hpp"
#include "net/tls_identity.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

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

  void start(); ///< serves on a background thread until stop() or destruction
  void run();   ///< serves on this thread until stop()
  void stop();

private:
  void install_routes();
  void send_reply(httplib::Response& response, const Reply& reply);
  void serve_rest(const httplib::Request& request, httplib::Response& response);
  /// Waits `delay`, cut short when the emulator stops, so stopping never waits for a slow answer.
  void pause(std::chrono::milliseconds delay) const;

  State m_state;
  RestApi m_rest;
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
  int m_port = 0;
  std::string m_scheme = "http";
  std::shared_ptr<std::atomic<bool>> m_stopping = std::make_shared<std::atomic<bool>>(false);
};

} // namespace keap::emulator
