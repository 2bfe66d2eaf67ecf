#pragma once

#include "tls_identity.hpp"

#include <memory>

namespace httplib {
class Server;
}

namespace keap {

/// An httplib server, plain or (given a certificate) TLS. Throws Error (exit 2) naming the
/// certificate file when it cannot be served.
std::unique_ptr<httplib::Server> make_http_server(const TlsIdentity* tls);

} // namespace keap
