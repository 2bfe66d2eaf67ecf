#pragma once

#include "pgstore/pg_store.hpp"

#include <string>
#include <vector>

/// The agent's pacer cells in the store, so that a fleet of agents on several hosts stays under Keap's
/// limits together (docs/agent.md, "Pacing"): one row per pool holding its GCRA theoretical arrival
/// time on the database's clock. An admission is one statement, outside any credential's transaction:
/// keap_auth.admit() locks the request's rows (in name order, so two admissions never deadlock), reads
/// the clock, decides with the same arithmetic as agent::Gcra, and counts the request in every pool or
/// in none.
namespace keap::pgstore {

/// One pool as the agent shapes it.
struct SharedCell {
  std::string pool;
  long long interval_us = 1; ///< the time one request occupies
  long long burst = 1;       ///< how many intervals the cell may run ahead of now
};

struct SharedAdmission {
  bool admitted = false; ///< true: go after wait_us (counted); false: refused, try again after wait_us
  long long wait_us = 0;
};

class SharedCells {
public:
  explicit SharedCells(PgStore& store) : m_store(store) {}

  /// Reserves the next place in every cell, unless it is more than `max_wait_us` away or a cell is held.
  /// PgError when the database cannot be asked (the caller paces locally meanwhile).
  SharedAdmission reserve(const std::vector<SharedCell>& cells, long long max_wait_us);
  /// Keap said `available` are left in the cell's window: only ever slower.
  void observe(const SharedCell& cell, long long available);
  /// The day's quota is gone: the cell admits nothing for `for_us`.
  void hold(const std::string& pool, long long for_us);

private:
  PgStore& m_store;
};

} // namespace keap::pgstore
