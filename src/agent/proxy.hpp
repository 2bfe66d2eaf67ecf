#pragma once

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/pacing.hpp"
#include "agent/service.hpp"
#include "agent/workers.hpp"
#include "net/http_server.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

/// The agent as Keap's front door (docs/agent.md, "Calls to Keap through the agent"): a service sends
/// plain HTTP without a credential to the agent's socket; the agent adds the profile's credential,
/// frames the body the way Keap needs it, paces every call to Keap's limits, refreshes and replays once
/// on a 401, retries 429s and (for idempotent methods) 502/503/504, and streams Keap's answer back.
namespace keap::agent {

/// Why the proxy refuses a request before anything is sent.
struct RequestProblem {
  int status = 400;
  std::string message;
  std::string hint;
};

/// What is wrong with a request for the proxy, if anything: a path with dot segments, a body on GET,
/// HEAD or DELETE (Keap's front end answers it with an HTML 400), a JSON or text body that is not UTF-8
/// (naming the first bad byte), two Keap-Profile headers or a bad profile name. Pure, and fuzzed.
std::optional<RequestProblem> request_problem(const net::ServerRequest& request);

/// The caller's headers as they go to Keap: without hop-by-hop headers (and those Connection names),
/// Host, Content-Length, Expect, any credential (`removed` counts those) and the agent's own.
net::Headers forwarded_request_headers(const net::Headers& headers, int& removed);

/// Keap's headers as they go to the caller: every one (all x-keap-*) but hop-by-hop ones.
net::Headers forwarded_response_headers(const net::Headers& headers);

class Proxy {
public:
  Proxy(std::function<std::shared_ptr<Service>()> current, Pacer& pacer, Metrics& metrics, const Log& log);
  ~Proxy(); ///< answers what is queued, then joins
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  /// Takes a request no endpoint of the agent's serves: proxied when its path is under the profile's
  /// api_base_url path, else 404.
  void handle(net::ServerRequest request, net::Responder responder);

  struct Call; ///< one caller's request, through its attempts

private:
  void begin(const std::shared_ptr<Call>& call);
  void admit(const std::shared_ptr<Call>& call);
  void attempt(const std::shared_ptr<Call>& call);
  void later(const std::shared_ptr<Call>& call, std::chrono::nanoseconds delay, bool pace);
  bool may_go_again(const std::shared_ptr<Call>& call, int status) const;
  bool retry_after_status(const std::shared_ptr<Call>& call, int status, const net::Headers& headers);
  void observe(const std::shared_ptr<Call>& call, int status, const net::Headers& headers);
  net::Headers final_headers(const std::shared_ptr<Call>& call, int status, const net::Headers& headers);
  Pacer::Admission reserve(const std::shared_ptr<Call>& call, std::chrono::nanoseconds budget);
  void observe_pool(const std::shared_ptr<Call>& call, const PoolSpec& pool, long long available);
  void hold_pool(const std::shared_ptr<Call>& call, const PoolSpec& pool, std::chrono::nanoseconds how_long);
  void shared_failed(const Error& error);
  void answer(const std::shared_ptr<Call>& call, net::ServerResponse response);
  void refuse(const std::shared_ptr<Call>& call, int status, const std::string& code, const std::string& message,
              const std::string& hint, std::optional<long long> retry_after = std::nullopt);
  void done(const std::shared_ptr<Call>& call, int status, size_t bytes);
  void note_removed_credential(const net::ServerRequest& request, int removed);

  std::function<std::shared_ptr<Service>()> m_current;
  Pacer& m_pacer;
  Metrics& m_metrics;
  const Log& m_log;
  std::mutex m_mutex;
  std::set<long> m_told_callers; ///< caller processes already told about a credential they sent
  std::atomic<bool> m_shared_failing{false};
  Workers m_workers;             ///< last: its threads stop before what they use goes
};

} // namespace keap::agent
