#include "agent/pacing.hpp"

#include <algorithm>
#include <stdexcept>

namespace keap::agent {

Gcra::Gcra(long long limit, Nanoseconds period, long long burst) : m_burst(burst) {
  if (burst < 1 || burst > limit || period <= Nanoseconds(0)) {
    throw std::invalid_argument("a pool needs 1 <= burst <= limit and a positive period");
  }
  auto slots = limit - burst + 1;
  m_interval = Nanoseconds((period.count() + slots - 1) / slots); // rounded up: never a request too many
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

} // namespace keap::agent
