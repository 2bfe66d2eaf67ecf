#include "agent/proxy.hpp"

#include "agent/endpoints.hpp"
#include "api/api_client.hpp"
#include "api/rate_limit.hpp"
#include "core/profile.hpp"
#include "net/retry_policy.hpp"
#include "net/wire.hpp"
#include "util/text.hpp"
#include "util/timestamp.hpp"

#include <algorithm>
#include <charconv>
#include <future>
#include <map>
#include <random>

namespace keap::agent {

namespace {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

/// Threads that send to Keap, each keeping its own connection alive. A caller waiting for the pacer holds
/// none, but one waiting for Keap's answer or for a refresh after a 401 does: enough that a slow Keap
/// (or a refresh) does not keep the next callers from being looked at.
constexpr size_t k_proxy_workers = 32;

/// An answer up to this size (most of Keap's) is read whole and sent in one piece; a larger one, or
/// one of unknown length, is streamed as it arrives.
constexpr long k_whole_body_bytes = 256 * 1024;

std::vector<std::string_view> pieces(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

std::string_view trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  auto last = text.find_last_not_of(" \t");
  return first == std::string_view::npos ? std::string_view() : text.substr(first, last - first + 1);
}

/// RFC 9110 7.6.1: these describe one connection, never the message.
bool hop_by_hop(std::string_view name) {
  static constexpr std::string_view k_names[] = {"Connection", "Keep-Alive", "Proxy-Connection", "TE",
                                                 "Trailer",    "Transfer-Encoding", "Upgrade"};
  return std::any_of(std::begin(k_names), std::end(k_names),
                     [&](std::string_view hop) { return net::same_token(name, hop); }) ||
         util::lower(name).starts_with("proxy-");
}

/// The header names a Connection header lists: hop-by-hop for this message too.
std::set<std::string> connection_options(const net::Headers& headers) {
  std::set<std::string> names;
  for (const auto& [name, value] : headers) {
    if (net::same_token(name, "Connection")) {
      for (auto option : pieces(value, ',')) {
        names.insert(util::lower(trimmed(option)));
      }
    }
  }
  return names;
}

bool has_body_method(std::string_view method) { return method != "GET" && method != "HEAD" && method != "DELETE"; }

/// JSON and text bodies must be UTF-8 for Keap (`/files` answers 400 otherwise).
bool textual(std::string_view content_type) {
  auto type = util::lower(trimmed(content_type.substr(0, content_type.find(';'))));
  return type.starts_with("text/") || type == "application/json" || type.ends_with("+json") ||
         type == "application/x-www-form-urlencoded";
}

/// Safe to send again after a failure (RFC 9110 9.2.2).
bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

bool dot_segment(std::string_view path) {
  for (auto segment : pieces(path, '/')) {
    auto lowered = util::lower(segment);
    if (lowered == "." || lowered == ".." || lowered == "%2e" || lowered == "%2e%2e" || lowered == ".%2e" ||
        lowered == "%2e.") {
      return true;
    }
  }
  return path.find("%2f") != std::string_view::npos || path.find("%2F") != std::string_view::npos ||
         path.find('\\') != std::string_view::npos;
}

double jitter(double low, double high) {
  thread_local std::mt19937 random{std::random_device{}()};
  return std::uniform_real_distribution<double>(low, high)(random);
}

std::chrono::nanoseconds since_start(Clock::time_point when) { return when.time_since_epoch(); }

long long milliseconds_of(std::chrono::nanoseconds duration) {
  return std::chrono::duration_cast<Milliseconds>(duration).count();
}

long long seconds_rounded_up(std::chrono::nanoseconds duration) {
  return std::max<long long>(1, (std::chrono::duration_cast<Milliseconds>(duration).count() + 999) / 1000);
}

} // namespace

std::optional<RequestProblem> request_problem(const net::ServerRequest& request) {
  if (request.count("Keap-Profile") > 1 ||
      (request.count("Keap-Profile") == 1 && !is_profile_name(request.header("Keap-Profile")))) {
    return RequestProblem{400, "Keap-Profile must name one profile",
                          "a profile name is letters, digits, '.', '_' and '-'; leave the header out for the default"};
  }
  if (dot_segment(request.path)) {
    return RequestProblem{400, "the path holds a dot segment, an encoded slash or a backslash",
                          "send the path as Keap documents it"};
  }
  bool framed_body = !request.body.empty() || request.count("Transfer-Encoding") > 0;
  if (framed_body && !has_body_method(request.method)) {
    return RequestProblem{400, request.method == "GET" || request.method == "HEAD" || request.method == "DELETE"
                                   ? request.method + " with a body is refused: Keap's front end answers it with an "
                                                      "HTML 400"
                                   : "this method may not carry a body",
                          "send the parameters in the query string"};
  }
  if (textual(request.header("Content-Type"))) {
    if (auto offset = util::invalid_utf8_offset(request.body)) {
      return RequestProblem{400,
                            "the body is not UTF-8 (byte " + std::to_string(*offset) +
                                " is not), and Keap refuses such a body",
                            "encode the body as UTF-8 (Python: json.dumps(...).encode('utf-8'))"};
    }
  }
  return std::nullopt;
}

net::Headers forwarded_request_headers(const net::Headers& headers, int& removed) {
  static constexpr std::string_view k_dropped[] = {"Host",         "Content-Length",  "Expect",
                                                   "Keap-Profile", "Keap-Agent-Key"};
  auto listed = connection_options(headers);
  net::Headers kept;
  for (const auto& header : headers) {
    const auto& name = header.first;
    if (net::same_token(name, "Authorization") || net::same_token(name, "X-Keap-API-Key")) {
      ++removed;
      continue;
    }
    bool dropped = std::any_of(std::begin(k_dropped), std::end(k_dropped),
                               [&name](std::string_view other) { return net::same_token(name, other); });
    if (!dropped && !hop_by_hop(name) && listed.count(util::lower(name)) == 0) {
      kept.push_back(header);
    }
  }
  return kept;
}

net::Headers forwarded_response_headers(const net::Headers& headers) {
  auto listed = connection_options(headers);
  net::Headers kept;
  for (const auto& [name, value] : headers) {
    if (!hop_by_hop(name) && listed.count(util::lower(name)) == 0) {
      kept.emplace_back(name, value);
    }
  }
  return kept;
}

struct Proxy::Call {
  Call(net::ServerRequest caller_request, net::Responder caller)
      : request(std::move(caller_request)), responder(std::move(caller)) {}

  net::ServerRequest request;
  net::Responder responder;
  std::shared_ptr<Service> service;
  std::string profile;
  Clock::time_point arrived = Clock::now();
  Clock::time_point deadline; ///< for the pacer and retries: arrived + max_wait
  Service::Upstream upstream;
  std::optional<Credential> credential;
  std::vector<PoolSpec> pools;
  int attempts = 0;
  int transient_retries = 0;
  bool replayed = false;  ///< the one replay after a 401 was made
  bool refreshed = false; ///< a new token was used
  std::chrono::nanoseconds waited{0};
  std::shared_ptr<net::ResponseStream> stream; ///< once Keap's answer is being streamed

  bool is_key() const { return credential && std::holds_alternative<ApiKey>(*credential); }
  net::Headers agent_headers() const {
    net::Headers headers{{"Keap-Agent-Attempts", std::to_string(attempts)},
                         {"Keap-Agent-Waited-Ms", std::to_string(milliseconds_of(waited))}};
    if (refreshed) {
      headers.emplace_back("Keap-Agent-Refreshed", "1");
    }
    return headers;
  }
};

Proxy::Proxy(std::function<std::shared_ptr<Service>()> current, Pacer& pacer, Metrics& metrics, const Log& log)
    : m_current(std::move(current)), m_pacer(pacer), m_metrics(metrics), m_log(log), m_workers(k_proxy_workers) {}

Proxy::~Proxy() = default;

void Proxy::handle(net::ServerRequest request, net::Responder responder) {
  auto call = std::make_shared<Call>(std::move(request), std::move(responder));
  call->service = m_current();
  call->deadline = call->arrived + call->service->settings().max_wait;
  if (auto problem = request_problem(call->request)) {
    return refuse(call, problem->status, "bad_request", problem->message, problem->hint);
  }
  auto profile = call->request.header("Keap-Profile");
  call->profile = profile.empty() ? call->service->default_profile() : profile;
  int removed = 0;
  call->request.headers = forwarded_request_headers(call->request.headers, removed);
  note_removed_credential(call->request, removed);
  m_workers.post([this, call] { begin(call); });
}

void Proxy::note_removed_credential(const net::ServerRequest& request, int removed) {
  if (removed == 0) {
    return;
  }
  m_metrics.add("keap_auth_proxy_credentials_removed_total", {}, removed);
  long caller = request.peer ? static_cast<long>(request.peer->pid) : -1;
  {
    std::lock_guard lock(m_mutex);
    if (m_told_callers.size() > 10000) {
      m_told_callers.clear();
    }
    if (!m_told_callers.insert(caller).second) {
      return;
    }
  }
  m_log.warn("a caller sent its own credential; it was removed and the profile's used",
             {{"caller_pid", caller < 0 ? std::string("(tcp)") : std::to_string(caller)},
              {"path", request.path}});
}

void Proxy::begin(const std::shared_ptr<Call>& call) {
  try {
    auto& service = *call->service;
    call->upstream = service.upstream(call->profile);
    const auto& base = call->upstream.base.path;
    if (!call->request.path.starts_with(base + "/")) {
      return refuse(call, 404, "not_found", "no such endpoint: the agent proxies only paths under " + base + "/",
                    "see `man keap-auth` for the agent's endpoints");
    }
    call->credential = service.token(call->profile, service.settings().min_valid).credential;
    service.check_destination(call->profile, call->upstream.base, *call->credential);
    call->pools = pools_for(*call->credential, service.settings().limits);
  } catch (const UnknownProfile& error) {
    return refuse(call, 404, "unknown_profile", error.what(), error.hint());
  } catch (const Error& error) {
    // A login is needed (4), the store or Keap is unreachable (5), or the config forbids sending this
    // credential to api_base_url (2: core/destinations.hpp).
    bool forbidden = error.code() == ExitCode::usage;
    return refuse(call, forbidden ? 403 : 503,
                  forbidden                                 ? "forbidden"
                  : error.code() == ExitCode::relogin ? "login_required"
                                                            : "unavailable",
                  error.what(), error.hint());
  }
  admit(call);
}

void Proxy::admit(const std::shared_ptr<Call>& call) {
  if (!call->service->settings().pacing) {
    return attempt(call);
  }
  auto now = Clock::now();
  auto budget = std::max(std::chrono::nanoseconds(0), call->deadline - now);
  auto admission = reserve(call, budget);
  auto pool = call->pools.front().name;
  if (!admission.admitted) {
    m_metrics.add("keap_auth_proxy_refused_total", {{"pool", pool}});
    return refuse(call, 429, "rate_limited",
                  "Keap's limits for this credential leave no room within max_wait; nothing was sent",
                  "try again after Retry-After seconds", seconds_rounded_up(admission.wait));
  }
  m_metrics.add("keap_auth_proxy_admitted_total", {{"pool", pool}});
  m_metrics.observe("keap_auth_proxy_wait_seconds", {{"pool", pool}},
                    std::chrono::duration<double>(admission.wait).count());
  if (admission.wait <= std::chrono::nanoseconds(0)) {
    return attempt(call);
  }
  later(call, admission.wait, false);
}

/// Runs the call's next step after `delay`, without holding a thread meanwhile; `pace`: through the
/// pacer again (a retry), else straight to Keap (a place already reserved).
void Proxy::later(const std::shared_ptr<Call>& call, std::chrono::nanoseconds delay, bool pace) {
  if (m_workers.stopping()) {
    return refuse(call, 503, "unavailable", "the agent is stopping", "send the call again");
  }
  call->waited += delay;
  m_workers.post_at(Clock::now() + std::chrono::duration_cast<Clock::duration>(delay),
                    [this, call, pace] { pace ? admit(call) : attempt(call); });
}

void Proxy::attempt(const std::shared_ptr<Call>& call) {
  const auto& settings = call->service->settings();

  net::HttpRequest request;
  request.method = call->request.method;
  request.url = call->upstream.base;
  request.url.path = call->request.path;
  request.url.query = call->request.query;
  request.headers = call->request.headers;
  request.body = call->request.body;
  if (const auto* key = std::get_if<ApiKey>(&*call->credential)) {
    request.headers.emplace_back("X-Keap-API-Key", key->key);
  } else {
    request.headers.emplace_back("Authorization", "Bearer " + std::get<OAuthGrant>(*call->credential).access_token);
  }
  // One client per worker thread and trust store: its connections to Keap are kept alive between calls.
  thread_local std::map<std::string, std::unique_ptr<net::HttpClient>> clients;
  auto& client = clients[call->upstream.ca_file + "\n" + std::to_string(settings.upstream_connect_timeout.count()) +
                         "/" + std::to_string(settings.upstream_timeout.count())];
  if (!client) {
    net::HttpOptions options;
    options.ca_file = call->upstream.ca_file;
    options.connect_timeout = settings.upstream_connect_timeout;
    options.read_timeout = settings.upstream_timeout;
    client = std::make_unique<net::HttpClient>(options);
  }
  ++call->attempts;
  size_t streamed = 0;
  bool observed = false;

  net::BodyStream body;
  body.begin = [&](int status, const net::Headers& headers) {
    observe(call, status, headers);
    observed = true;
    if (may_go_again(call, status)) {
      return false; // kept: decided once it is whole, and never scheduled while this exchange still reads
    }
    auto length = net::header_value(headers, "content-length");
    long bytes = 0;
    auto [end, failed] = std::from_chars(length.data(), length.data() + length.size(), bytes);
    if (!length.empty() && failed == std::errc{} && end == length.data() + length.size() &&
        bytes <= k_whole_body_bytes) {
      return false; // small, and whole in a moment: answered in one piece, without a stream's hand-offs
    }
    net::ServerResponse head{status, final_headers(call, status, headers), "", false};
    auto agent = call->agent_headers();
    head.headers.insert(head.headers.end(), agent.begin(), agent.end());
    call->stream = call->responder.stream(head);
    return true;
  };
  body.piece = [&](std::string_view piece) {
    auto written = std::make_shared<std::promise<bool>>();
    auto result = written->get_future();
    call->stream->write(std::string(piece), [written](bool ok) { written->set_value(ok); });
    // The caller's pace is the download's: a slow reader holds back Keap's connection, not memory.
    if (result.wait_for(std::chrono::seconds(90)) != std::future_status::ready || !result.get()) {
      return false;
    }
    streamed += piece.size();
    return true;
  };
  net::HttpResponse response;
  try {
    response = client->send(request, Clock::now() + settings.upstream_timeout, &body);
  } catch (const net::TransportError& error) {
    m_metrics.add("keap_auth_proxy_upstream_requests_total", {{"pool", call->pools.front().name}, {"status", "0"}});
    if (call->stream) {
      call->stream->abort(); // Keap's answer broke off, or the caller left: the caller sees it cut short
      return done(call, 0, streamed);
    }
    bool nothing_sent = error.failure() == net::TransportFailure::not_connected;
    bool transient = nothing_sent || error.failure() == net::TransportFailure::no_answer;
    if (transient && (nothing_sent || idempotent(call->request.method)) && call->transient_retries < 2) {
      ++call->transient_retries;
      return later(call, std::chrono::milliseconds(static_cast<long>(250 * call->transient_retries * jitter(0.8, 1.2))),
                   true);
    }
    bool slow = error.failure() == net::TransportFailure::too_slow;
    return refuse(call, slow ? 504 : 502, slow ? "upstream_timeout" : "upstream_failed", error.what(),
                  idempotent(call->request.method) || nothing_sent
                      ? "Keap did not answer; try again later"
                      : "Keap may have done what was asked: check before sending it again");
  }
  m_metrics.add("keap_auth_proxy_upstream_requests_total",
                {{"pool", call->pools.front().name}, {"status", std::to_string(response.status)}});
  if (call->stream) {
    call->stream->finish();
    return done(call, response.status, streamed);
  }
  if (!observed) {
    observe(call, response.status, response.headers);
  }
  if (retry_after_status(call, response.status, response.headers)) {
    return; // the next attempt is on its way
  }
  answer(call, {response.status, final_headers(call, response.status, response.headers), std::move(response.body),
                false});
}

/// Keap's headers for the caller, and what the agent adds to a final 401 or 429.
net::Headers Proxy::final_headers(const std::shared_ptr<Call>& call, int status, const net::Headers& headers) {
  auto forwarded = forwarded_response_headers(headers);
  if (status == 401 && !call->is_key() && call->replayed) {
    forwarded.emplace_back("Keap-Agent-Error", "login_required"); // refreshed, replayed, rejected again
  }
  if (status == 429 && net::header_value(headers, "retry-after").empty()) {
    auto limits = api::parse_rate_limits(headers);
    long long seconds = 60;
    for (const auto& window : limits.windows) {
      if (window.name == "quota" && window.available == 0 && window.resets_at) {
        seconds = std::max<long long>(1, (*window.resets_at - util::now_seconds()).count());
      }
    }
    forwarded.emplace_back("Retry-After", std::to_string(seconds));
  }
  return forwarded;
}

/// Keap's rate headers tune the pacer; a 429 for the day's quota holds the pool until the reset.
void Proxy::observe(const std::shared_ptr<Call>& call, int status, const net::Headers& headers) {
  net::HttpResponse response{status, "", headers};
  auto limits = api::parse_rate_limits(headers);
  const auto& product_pool = call->pools.front().name;
  for (const auto& window : limits.windows) {
    if (!window.available) {
      continue;
    }
    if (window.name == "throttle") {
      observe_pool(call, call->pools.front(), *window.available);
      m_metrics.set("keap_auth_proxy_available", {{"pool", product_pool}}, static_cast<double>(*window.available));
    } else if ((window.name == "tenant" || window.name == "tenant minute") && call->pools.size() > 2) {
      observe_pool(call, call->pools.back(), *window.available);
      m_metrics.set("keap_auth_proxy_available", {{"pool", call->pools.back().name}},
                    static_cast<double>(*window.available));
    }
  }
  if (status != 429) {
    return;
  }
  m_metrics.add("keap_auth_proxy_keap_429_total", {{"pool", product_pool}});
  if (api::daily_quota_exhausted(response, limits)) {
    auto reset = std::find_if(limits.windows.begin(), limits.windows.end(),
                              [](const api::RateWindow& window) { return window.name == "quota" && window.resets_at; });
    auto left = reset != limits.windows.end() ? *reset->resets_at - util::now_seconds() : std::chrono::seconds(3600);
    auto hold_for = std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(left, std::chrono::seconds(1)));
    for (const auto& pool : call->pools) {
      hold_pool(call, pool, hold_for);
    }
    m_log.warn("Keap's daily quota is used up; the agent answers 429 itself until the reset",
               {{"pool", product_pool}, {"seconds", std::to_string(left.count())}});
    return;
  }
  for (const auto& pool : call->pools) {
    observe_pool(call, pool, 0); // Keap says none are left: the pacer waits a place at least
  }
}

namespace {
pgstore::SharedCell shared_cell(const PoolSpec& pool) {
  auto interval = Gcra::interval(pool.limit, pool.period, pool.burst);
  return {pool.name, std::max<long long>(1, std::chrono::duration_cast<std::chrono::microseconds>(interval).count()),
          pool.burst};
}
} // namespace

/// The pools' cells in the PostgreSQL store when there is one (every host counts in the same cells), else
/// this process's; when the database cannot be asked, this process's meanwhile (said once).
Pacer::Admission Proxy::reserve(const std::shared_ptr<Call>& call, std::chrono::nanoseconds budget) {
  if (auto* shared = call->service->shared_cells()) {
    try {
      std::vector<pgstore::SharedCell> cells;
      for (const auto& pool : call->pools) {
        cells.push_back(shared_cell(pool));
      }
      auto admission =
          shared->reserve(cells, std::chrono::duration_cast<std::chrono::microseconds>(budget).count());
      m_shared_failing = false;
      return {admission.admitted, std::chrono::microseconds(admission.wait_us)};
    } catch (const Error& error) {
      shared_failed(error);
    }
  }
  return m_pacer.reserve(call->pools, since_start(Clock::now()), budget);
}

void Proxy::observe_pool(const std::shared_ptr<Call>& call, const PoolSpec& pool, long long available) {
  m_pacer.observe(pool.name, since_start(Clock::now()), available);
  if (auto* shared = call->service->shared_cells()) {
    try {
      shared->observe(shared_cell(pool), available);
    } catch (const Error& error) {
      shared_failed(error);
    }
  }
}

void Proxy::hold_pool(const std::shared_ptr<Call>& call, const PoolSpec& pool, std::chrono::nanoseconds how_long) {
  m_pacer.hold(pool.name, since_start(Clock::now()) + how_long);
  if (auto* shared = call->service->shared_cells()) {
    try {
      shared->hold(pool.name, std::chrono::duration_cast<std::chrono::microseconds>(how_long).count());
    } catch (const Error& error) {
      shared_failed(error);
    }
  }
}

void Proxy::shared_failed(const Error& error) {
  if (!m_shared_failing.exchange(true)) {
    m_log.warn("the store's pacer cells cannot be used; pacing this host alone until they can",
               {{"reason", error.what()},
                {"hint", error.hint().empty() ? "run `keap-auth store init` (it adds the pacing table)" : error.hint()}});
  }
}

/// Whether an answer with `status` might be followed by another attempt (then it is read whole first).
bool Proxy::may_go_again(const std::shared_ptr<Call>& call, int status) const {
  bool transient = status == 502 || status == 503 || status == 504;
  return (status == 401 && !call->is_key() && !call->replayed) || status == 429 ||
         (transient && idempotent(call->request.method) && call->transient_retries < 2);
}

/// Whether this answer is not the last: a 401 with a grant (one refresh and one replay), a 429 with
/// time left (not for the day's quota), a 502/503/504 for an idempotent method (twice). Schedules the
/// next attempt when so.
bool Proxy::retry_after_status(const std::shared_ptr<Call>& call, int status, const net::Headers& headers) {
  if (status == 401 && !call->is_key() && !call->replayed) {
    call->replayed = true;
    try {
      auto sent = std::get<OAuthGrant>(*call->credential).access_token;
      call->credential = call->service->replace(call->profile, sent).credential;
      call->refreshed = true;
      m_metrics.add("keap_auth_proxy_refreshes_total", {{"profile", call->profile}});
    } catch (const Error& error) {
      m_log.warn("a 401 from Keap, and no new token", {{"profile", call->profile}, {"reason", error.what()}});
      return false;
    }
    later(call, std::chrono::nanoseconds(0), true);
    return true;
  }
  if (status == 401 && call->is_key()) {
    m_log.warn("Keap rejected a key", {{"profile", call->profile},
                                      {"sent_as", "X-Keap-API-Key"},
                                      {"kind", describe_key_kind(std::get<ApiKey>(*call->credential).kind)}});
    return false;
  }
  auto now = Clock::now();
  if (status == 429) {
    auto limits = api::parse_rate_limits(headers);
    if (api::daily_quota_exhausted(net::HttpResponse{status, "", headers}, limits)) {
      return false;
    }
    auto retry_after = net::parse_retry_after(net::header_value(headers, "retry-after"), util::now_seconds());
    auto wait = retry_after ? std::chrono::nanoseconds(*retry_after)
                            : std::chrono::nanoseconds(std::chrono::milliseconds(static_cast<long>(jitter(50, 250))));
    if (now + wait >= call->deadline) {
      return false;
    }
    later(call, wait, true);
    return true;
  }
  if ((status == 502 || status == 503 || status == 504) && idempotent(call->request.method) &&
      call->transient_retries < 2) {
    ++call->transient_retries;
    auto wait = std::chrono::milliseconds(static_cast<long>(250 * call->transient_retries * jitter(0.8, 1.2)));
    if (now + wait >= call->deadline) {
      return false;
    }
    later(call, wait, true);
    return true;
  }
  return false;
}

void Proxy::answer(const std::shared_ptr<Call>& call, net::ServerResponse response) {
  auto agent = call->agent_headers();
  response.headers.insert(response.headers.end(), agent.begin(), agent.end());
  auto status = response.status;
  auto bytes = response.body.size();
  call->responder.send(std::move(response));
  done(call, status, bytes);
}

void Proxy::refuse(const std::shared_ptr<Call>& call, int status, const std::string& code, const std::string& message,
                   const std::string& hint, std::optional<long long> retry_after) {
  auto exit_code = status == 429 ? ExitCode::rate_limited
                   : status == 400 || status == 403 || status == 404 ? ExitCode::usage
                   : code == "login_required"                        ? ExitCode::relogin
                                                                     : ExitCode::unavailable;
  auto response = error_answer(status, code, message, hint, static_cast<int>(exit_code));
  response.headers.emplace_back("Keap-Agent-Error", code);
  if (retry_after) {
    response.headers.emplace_back("Retry-After", std::to_string(*retry_after));
  }
  answer(call, std::move(response));
}

/// The access log: what was asked and how it went, never a query string, header or body.
void Proxy::done(const std::shared_ptr<Call>& call, int status, size_t bytes) {
  m_metrics.add("keap_auth_proxy_requests_total",
                {{"profile", call->profile.empty() ? "(none)" : call->profile}, {"status", std::to_string(status)}});
  m_log.info("proxied", {{"profile", call->profile},
                         {"method", call->request.method},
                         {"path", util::printable_excerpt(call->request.path, 200)},
                         {"status", std::to_string(status)},
                         {"attempts", std::to_string(call->attempts)},
                         {"waited_ms", std::to_string(milliseconds_of(call->waited))},
                         {"bytes", std::to_string(bytes)},
                         {"duration_ms", std::to_string(milliseconds_of(Clock::now() - call->arrived))}});
}

} // namespace keap::agent
