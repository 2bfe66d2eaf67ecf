#pragma once

#include "net/tls_identity.hpp"

#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace keap::net {

/// An httplib server, plain or (given a certificate) TLS. Throws Error (exit 2) naming the certificate
/// file when it cannot be served.
std::unique_ptr<httplib::Server> make_http_server(const TlsIdentity* tls);

/// Binds `server` to `host` and `port` (0: any free port) and returns the port. Unlike httplib's
/// default, the socket gets SO_REUSEADDR only, never SO_REUSEPORT (which would let another process share
/// the port and take its requests), and a full listen backlog (httplib's 5 makes a burst of junk
/// connections cost every later one a SYN retry). Throws Error (exit 2) naming `purpose` and the address
/// when the port is taken or the address is not on this machine; `hint` says what to change.
int bind_server(httplib::Server& server, const std::string& host, int port, const std::string& purpose,
                const std::string& hint);

/// Shuts down every connection this process has accepted on local `port` (not the listener), so
/// threads serving clients that send a byte a second end now instead of when the client stops.
void shutdown_accepted_connections(int port);

} // namespace keap::net
