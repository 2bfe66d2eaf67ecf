#include "support/agent_client.hpp"

#include "support/scripted_server.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace keap::test {

namespace {

std::string read_to_end(int fd) {
  std::string raw;
  char buffer[16384];
  for (;;) {
    auto count = ::read(fd, buffer, sizeof buffer);
    if (count <= 0) {
      break;
    }
    raw.append(buffer, static_cast<size_t>(count));
  }
  return raw;
}

AgentAnswer exchange(int fd, const std::string& request) {
  if (fd < 0) {
    return {};
  }
  timeval timeout{30, 0}; // a test never waits forever for an agent that hangs
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  send_all(fd, request);
  auto raw = read_to_end(fd);
  ::close(fd);
  return parse_answer(raw);
}

int tcp_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string get_request(const std::string& target, const std::string& extra) {
  return "GET " + target + " HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n" + extra + "\r\n";
}

} // namespace

int unix_connect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

AgentAnswer parse_answer(const std::string& raw) {
  AgentAnswer answer;
  answer.raw = raw;
  auto head_end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || head_end == std::string::npos || raw.size() < 12) {
    return answer;
  }
  answer.status = std::atoi(raw.substr(9, 3).c_str());
  size_t at = raw.find("\r\n") + 2;
  while (at < head_end) {
    auto end = raw.find("\r\n", at);
    auto line = raw.substr(at, end - at);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      answer.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    at = end + 2;
  }
  answer.body = raw.substr(head_end + 4);
  return answer;
}

AgentAnswer unix_exchange(const std::string& path, const std::string& request) {
  return exchange(unix_connect(path), request);
}

AgentAnswer tcp_exchange(int port, const std::string& request) { return exchange(tcp_connect(port), request); }

AgentAnswer unix_get(const std::string& path, const std::string& target, const std::string& extra) {
  return unix_exchange(path, get_request(target, extra));
}

AgentAnswer tcp_get(int port, const std::string& target, const std::string& extra) {
  return tcp_exchange(port, get_request(target, extra));
}

AgentAnswer unix_post(const std::string& path, const std::string& target, const std::string& body) {
  return unix_exchange(path, "POST " + target +
                                 " HTTP/1.1\r\nHost: agent\r\nConnection: close\r\nContent-Type: "
                                 "application/json\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
}

} // namespace keap::test
