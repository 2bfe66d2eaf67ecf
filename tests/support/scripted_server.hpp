#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace keap::test {

/// A TCP server on 127.0.0.1 that plays a hostile or broken peer: each connection runs `script` on its
/// own thread with the connected socket. Destruction shuts every connection down and joins.
class ScriptedServer {
public:
  using Script = std::function<void(int fd, const std::atomic<bool>& stopping)>;
  explicit ScriptedServer(Script script);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  int port() const { return m_port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  int connections() const { return m_connections.load(); }

private:
  void accept_loop();

  Script m_script;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_connections{0};
  std::mutex m_mutex;
  std::vector<int> m_sockets;
  std::vector<std::thread> m_threads;
  std::thread m_acceptor;
};

/// Reads what a client sent up to the end of its headers (and stops at end of input); returns it.
std::string read_request_head(int fd);

/// Sends all of `bytes` (false when the peer has gone).
bool send_all(int fd, const std::string& bytes);

/// The peak resident memory of a process in kilobytes (VmHWM), or 0 when it cannot be read.
long peak_resident_kilobytes(int pid);

} // namespace keap::test
