#include "agent/pacing.hpp"

#include "net/crypto.hpp"

#include <algorithm>
#include <stdexcept>

namespace keap::agent {

Gcra::Gcra(long long limit, Nanoseconds period, long long burst) : m_burst(burst) {
  if (burst < 1 || burst > limit || period <= Nanoseconds(0)) {
    throw std::invalid_argument("a pool needs 1 <= burst <= limit and a positive period");
  }
  m_interval = interval(limit, period, burst);
}

Nanoseconds Gcra::interval(long long limit, Nanoseconds period, long long burst) {
  auto slots = limit - burst + 1;
  return Nanoseconds((period.count() + slots - 1) / slots); // rounded up: never a request too many
}

Nanoseconds Gcra::wait(Nanoseconds now, long long cost) const {
  // Admitted when the cell, once this request is counted, runs at most `burst` intervals ahead.
  auto after = std::max(m_theoretical_arrival, now) + m_interval * cost;
  return std::max<Nanoseconds>(Nanoseconds(0), after - m_interval * m_burst - now);
}

void Gcra::take(Nanoseconds now, long long cost) {
  m_theoretical_arrival = std::max(m_theoretical_arrival, now) + m_interval * cost;
}

void Gcra::observe_available(Nanoseconds now, long long available) {
  auto held_back = m_burst - std::clamp(available, 0LL, m_burst);
  m_theoretical_arrival = std::max<Nanoseconds>(m_theoretical_arrival, now + m_interval * held_back);
}

Nanoseconds Pools::admit(Nanoseconds now, long long cost) {
  Nanoseconds longest{0};
  for (const auto* pool : m_pools) {
    longest = std::max(longest, pool->wait(now, cost));
  }
  if (longest == Nanoseconds(0)) {
    for (auto* pool : m_pools) {
      pool->take(now, cost);
    }
  }
  return longest;
}

std::vector<PoolSpec> pools_for(const Credential& credential, const PaceLimits& limits) {
  using std::chrono::seconds;
  auto period = [](seconds length) { return Nanoseconds(length) + k_arrival_allowance; };
  if (const auto* key = std::get_if<ApiKey>(&credential)) {
    auto name = "key:" + net::sha256(key->key).substr(0, 12); // a name for metrics, never the key
    return {{name + "/minute", limits.key_per_minute, period(seconds(60)),
             std::min(limits.key_per_second, limits.key_per_minute)},
            {name + "/second", limits.key_per_second, period(seconds(1)), 1}};
  }
  const auto& grant = std::get<OAuthGrant>(credential);
  auto client = "client:" + grant.client_id;
  std::vector<PoolSpec> pools{{client + "/minute", limits.client_per_minute, period(seconds(60)),
                               std::min(limits.client_per_second, limits.client_per_minute)},
                              {client + "/second", limits.client_per_second, period(seconds(1)), 1}};
  if (grant.app) {
    pools.push_back({"tenant:" + *grant.app + "/minute", limits.tenant_per_minute, period(seconds(60)),
                     std::min(limits.client_per_second, limits.tenant_per_minute)});
  }
  return pools;
}

Pacer::Cell& Pacer::cell(const PoolSpec& spec) {
  auto found = m_cells.find(spec.name);
  if (found != m_cells.end() && found->second.shape.limit == spec.limit && found->second.shape.burst == spec.burst &&
      found->second.shape.period == spec.period) {
    return found->second;
  }
  if (found != m_cells.end()) {
    m_cells.erase(found); // agent.limits changed at a reload: a new cell of the new shape
  }
  return m_cells.emplace(spec.name, Cell{spec, Gcra(spec.limit, spec.period, spec.burst), Nanoseconds(0)})
      .first->second;
}

Pacer::Admission Pacer::reserve(const std::vector<PoolSpec>& pools, Nanoseconds now, Nanoseconds max_wait) {
  std::lock_guard lock(m_mutex);
  Nanoseconds longest{0};
  std::vector<Cell*> cells;
  for (const auto& spec : pools) {
    auto& found = cell(spec);
    if (found.held_until > now) {
      return {false, found.held_until - now};
    }
    longest = std::max(longest, found.gcra.wait(now));
    cells.push_back(&found);
  }
  if (longest > max_wait) {
    return {false, longest};
  }
  for (auto* found : cells) {
    found->gcra.take(now + longest); // the place is this caller's from now: later ones queue after it
  }
  return {true, longest};
}

void Pacer::observe(const std::string& pool, Nanoseconds now, long long available) {
  std::lock_guard lock(m_mutex);
  if (auto found = m_cells.find(pool); found != m_cells.end()) {
    found->second.gcra.observe_available(now, available);
  }
}

void Pacer::hold(const std::string& pool, Nanoseconds until) {
  std::lock_guard lock(m_mutex);
  if (auto found = m_cells.find(pool); found != m_cells.end()) {
    found->second.held_until = std::max(found->second.held_until, until);
  }
}

} // namespace keap::agent
