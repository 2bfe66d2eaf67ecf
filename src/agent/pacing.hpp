#pragma once

#include <chrono>
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

} // namespace keap::agent
