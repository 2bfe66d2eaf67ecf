#include "support/scripted_server.hpp"

#include <fstream>
#include <stdexcept>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace keap::test {

ScriptedServer::ScriptedServer(Script script) : m_script(std::move(script)) {
  m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listener, 64) != 0 || ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("the scripted server cannot listen");
  }
  m_port = ntohs(address.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

ScriptedServer::~ScriptedServer() {
  m_stopping = true;
  ::shutdown(m_listener, SHUT_RDWR);
  m_acceptor.join();
  {
    std::lock_guard lock(m_mutex);
    for (int fd : m_sockets) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  for (auto& thread : m_threads) {
    thread.join();
  }
  for (int fd : m_sockets) {
    ::close(fd);
  }
  ::close(m_listener);
}

void ScriptedServer::accept_loop() {
  while (!m_stopping) {
    pollfd ready{m_listener, POLLIN, 0};
    if (::poll(&ready, 1, 50) <= 0) {
      continue;
    }
    int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    ++m_connections;
    std::lock_guard lock(m_mutex);
    m_sockets.push_back(fd);
    m_threads.emplace_back([this, fd] { m_script(fd, m_stopping); });
  }
}

std::string read_request_head(int fd) {
  std::string text;
  char buffer[4096];
  while (text.find("\r\n\r\n") == std::string::npos) {
    auto count = ::recv(fd, buffer, sizeof buffer, 0);
    if (count <= 0) {
      break;
    }
    text.append(buffer, static_cast<size_t>(count));
  }
  return text;
}

bool send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto count = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (count <= 0) {
      return false;
    }
    sent += static_cast<size_t>(count);
  }
  return true;
}

long peak_resident_kilobytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      return std::stol(line.substr(6));
    }
  }
  return 0;
}

} // namespace keap::test
