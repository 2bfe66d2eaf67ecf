#pragma once

#include "emulator/state.hpp"

#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace keap::emulator {

/// The emulator's HTTP face: /app/oauth/authorize (consent page or auto-approve), POST /token and
/// /crm/rest/v1/oauth/connect/userinfo, on 127.0.0.1 only. Binds in the constructor.
class Server {
public:
  explicit Server(Settings settings, int port = 0);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return m_port; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  State& state() { return m_state; }

  void start(); ///< serves on a background thread until stop() or destruction
  void run();   ///< serves on this thread until stop()
  void stop();

private:
  void install_routes();

  State m_state;
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
  int m_port = 0;
};

} // namespace keap::emulator
