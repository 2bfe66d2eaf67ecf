#include "net/http_server.hpp"

#include "core/error.hpp"

#include <httplib.h>
#include <openssl/pem.h>

#include <filesystem>
#include <system_error>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

namespace keap::net {

namespace {

/// The local port of a connected or listening TCP socket, or -1.
int local_port(int fd, bool& listening) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return -1;
  }
  int accepting = 0;
  socklen_t size = sizeof accepting;
  listening = ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size) == 0 && accepting != 0;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return -1;
}

} // namespace

std::unique_ptr<httplib::Server> make_http_server(const TlsIdentity* tls) {
  if (tls == nullptr) {
    return std::make_unique<httplib::Server>();
  }
  BIO* certificate_bio = BIO_new_mem_buf(tls->certificate_pem.data(), static_cast<int>(tls->certificate_pem.size()));
  BIO* key_bio = BIO_new_mem_buf(tls->private_key_pem.data(), static_cast<int>(tls->private_key_pem.size()));
  X509* certificate = PEM_read_bio_X509(certificate_bio, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(certificate_bio);
  BIO_free(key_bio);
  auto server = std::make_unique<httplib::SSLServer>(certificate, key); // takes its own references
  X509_free(certificate);
  EVP_PKEY_free(key);
  if (!server->is_valid()) {
    throw Error(ExitCode::usage, "the certificate " + tls->certificate_file + " cannot be served",
                "check --tls-cert and --tls-key");
  }
  return server;
}

int bind_server(httplib::Server& server, const std::string& host, int port, const std::string& purpose,
                const std::string& hint) {
  int listening = -1;
  server.set_socket_options([&listening](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listening = sock;
  });
  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    throw Error(ExitCode::usage,
                "cannot listen on " + host + " port " + std::to_string(port) + " for " + purpose +
                    ": the port is in use or the address is not on this machine",
                hint);
  }
  if (listening >= 0) {
    ::listen(listening, SOMAXCONN); // listening again only raises the backlog
  }
  return bound;
}

void shutdown_accepted_connections(int port) {
  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end; it.increment(error)) {
    int fd = -1;
    try {
      fd = std::stoi(it->path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    struct stat info {};
    bool listening = false;
    if (::fstat(fd, &info) == 0 && S_ISSOCK(info.st_mode) && local_port(fd, listening) == port && !listening) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
}

} // namespace keap::net
