#pragma once

#include "core/credential.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

/// Pacing to Keap's limits (docs/design/agent.md, "GCRA, exactly"): each pool (a client id's minute and
/// its per-second spike, a key's, a tenant's minute) is one Generic Cell Rate Algorithm cell, a single
/// number, the theoretical arrival time, so that it can later live in a database row shared by every
/// host. The proxy of issue 20 admits a request only when every pool it draws on admits it.
namespace keap::agent {

using Nanoseconds = std::chrono::nanoseconds;

/// One pool: at most `limit` requests in any window of `period` (a rolling minute, a second), at most
/// `burst` of them at once. One request occupies `period / (limit - burst + 1)`; the cell may run
/// `burst` of those ahead of now, so any window holds at most burst + (limit - burst) = limit, and a
/// steady caller gets limit - burst + 1 a period: keep the burst small against the limit (Keap's minute
/// pools with their per-second spike as burst use more than 98% of the minute).
class Gcra {
public:
  /// std::invalid_argument unless 1 <= burst <= limit and the period is positive.
  Gcra(long long limit, Nanoseconds period, long long burst = 1);
  /// The time one request occupies: period / (limit - burst + 1), rounded up.
  static Nanoseconds interval(long long limit, Nanoseconds period, long long burst);

  /// How long a request of `cost` must wait from `now` before this pool admits it (zero: now).
  Nanoseconds wait(Nanoseconds now, long long cost = 1) const;
  /// Counts a request of `cost` admitted at `now` (after wait() said zero).
  void take(Nanoseconds now, long long cost = 1);
  /// Keap said how many requests are left in this pool's window (its `...-throttle-available` header).
  /// The headers are the truth and the cell a prediction: with fewer left than the burst, at most that
  /// many go at once. Only ever slower, never faster: others on the pool (another integration on the
  /// tenant) are invisible but in these numbers.
  void observe_available(Nanoseconds now, long long available);

private:
  long long m_burst;
  Nanoseconds m_interval;              ///< the time one request occupies
  Nanoseconds m_theoretical_arrival{}; ///< when the cell is next free, on the caller's clock
};

/// The pools one request draws on: admitted by all of them or by none.
class Pools {
public:
  explicit Pools(std::vector<Gcra*> pools) : m_pools(std::move(pools)) {}
  /// Zero when every pool admits a request now (and each has counted it); otherwise the longest wait,
  /// and nothing is counted.
  Nanoseconds admit(Nanoseconds now, long long cost = 1);

private:
  std::vector<Gcra*> m_pools;
};

/// Keap's limits as the agent paces to them: agent.limits, Keap's documented numbers by default.
struct PaceLimits {
  long long client_per_minute = 1500; ///< per OAuth client id, a rolling minute
  long long client_per_second = 25;   ///< its spike arrest
  long long key_per_minute = 240;     ///< per PAT or SAK
  long long key_per_second = 10;
  long long tenant_per_minute = 10000; ///< every request to one Keap app
};

/// One pool a request draws on: its name ("client:ID", "key:HASH", "tenant:APP"; never a secret) and
/// the shape of its cell.
struct PoolSpec {
  std::string name;
  long long limit = 1;
  Nanoseconds period{};
  long long burst = 1;
};

/// How much later than its admission a request may reach Keap (a thread waking, a connection made):
/// each cell's period is this much longer, so that no window of Keap's holds a request too many.
constexpr Nanoseconds k_arrival_allowance = std::chrono::milliseconds(50);

/// The pools a request with `credential` draws on: a grant's client id (its minute, with the spike as
/// burst, and its second) and tenant (the app in its scope); a key's own minute and second.
std::vector<PoolSpec> pools_for(const Credential& credential, const PaceLimits& limits);

/// Every pool the agent has drawn on, by name, shared by all its callers.
class Pacer {
public:
  struct Admission {
    bool admitted = false; ///< true: go after `wait` (counted now); false: refused, try again after `wait`
    Nanoseconds wait{0};
  };
  /// Reserves the next place in every pool of `pools` (first come, first served: a later caller's place
  /// is after this one's), unless it is more than `max_wait` away or a pool is held.
  Admission reserve(const std::vector<PoolSpec>& pools, Nanoseconds now, Nanoseconds max_wait);
  /// Keap said how many are left in a pool's window.
  void observe(const std::string& pool, Nanoseconds now, long long available);
  /// The day's quota is gone: `pool` admits nothing until `until`.
  void hold(const std::string& pool, Nanoseconds until);

private:
  struct Cell {
    PoolSpec shape;
    Gcra gcra;
    Nanoseconds held_until{0};
  };
  Cell& cell(const PoolSpec& spec);

  std::mutex m_mutex;
  std::map<std::string, Cell> m_cells;
};

} // namespace keap::agent
