#pragma once

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/proxy.hpp"
#include "agent/service.hpp"
#include "agent/workers.hpp"
#include "net/http_server.hpp"

#include <functional>
#include <memory>
#include <set>
#include <string>

/// The agent's HTTP interface: who may ask, and /v1/token, /v1/token/rejected, /v1/profiles, /healthz
/// and /metrics. Answers are JSON with "schema": 1; an error is {"error": {code, message, hint,
/// exit_code}} with the status that fits, and never echoes a request's query or headers.
namespace keap::agent {

/// Who may ask.
struct Access {
  std::set<uid_t> users;  ///< besides the agent's own uid and root (Unix sockets)
  std::set<gid_t> groups; ///< whose members may ask (Unix sockets)
  std::string tcp_key;    ///< what Keap-Agent-Key must hold over TCP (empty: no TCP listener)
};

/// What GET /v1/token asks, from its query; nothing when the query is not profile=NAME[&min_valid=DUR].
struct TokenQuery {
  std::optional<std::string> profile;
  std::chrono::seconds min_valid{0};
};
std::optional<TokenQuery> parse_token_query(std::string_view query);

/// What POST /v1/token/rejected says, from its body; nothing when it is not {"profile", "token"}.
struct RejectedBody {
  std::optional<std::string> profile;
  std::string token;
};
std::optional<RejectedBody> parse_rejected_body(std::string_view body);

/// Resolves allow_users and allow_groups to ids; Error (exit 2) naming one that does not exist.
Access access_of(const Settings& settings, std::string tcp_key);

/// The key TCP callers send: `path`'s content, made (0600, random) when the file does not exist.
std::string tcp_key_from(const std::string& path);

class Endpoints {
public:
  /// `current` gives the service in force (SIGHUP swaps it; requests in flight keep theirs).
  /// Requests for no endpoint of the agent's go to `proxy`.
  Endpoints(std::function<std::shared_ptr<Service>()> current, Access access, Metrics& metrics, const Log& log,
            Workers& workers, Proxy& proxy);
  void handle(net::ServerRequest request, net::Responder responder);

private:
  bool allowed(const net::ServerRequest& request, net::Responder& responder);
  void route(net::ServerRequest& request, net::Responder responder);
  void send(net::Responder& responder, const std::string& endpoint, net::ServerResponse response);
  void token(const net::ServerRequest& request, net::Responder responder);
  void rejected(const net::ServerRequest& request, net::Responder responder);

  std::function<std::shared_ptr<Service>()> m_current;
  Access m_access;
  Metrics& m_metrics;
  const Log& m_log;
  Workers& m_workers;
  Proxy& m_proxy;
};

/// An error as the agent answers it: {"schema": 1, "error": {code, message, hint, exit_code}}.
net::ServerResponse error_answer(int status, const std::string& code, const std::string& message,
                                 const std::string& hint, int exit_code);

/// The agent's answer for a request the server refuses by itself (400, 408, 413, 414, 431, 505).
net::ServerResponse refusal_answer(int status, const std::string& reason);

} // namespace keap::agent
