#include "pgstore/pacing.hpp"

namespace keap::pgstore {

namespace {

/// A text[] literal with every element quoted: pool names hold a client id, which may hold anything.
std::string array_of(const std::vector<std::string>& items) {
  std::string text = "{";
  for (const auto& item : items) {
    text += text.size() > 1 ? ",\"" : "\"";
    for (char c : item) {
      if (c == '"' || c == '\\') {
        text += '\\';
      }
      text += c;
    }
    text += '"';
  }
  return text + "}";
}

const char* const k_now_us = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

} // namespace

SharedAdmission SharedCells::reserve(const std::vector<SharedCell>& cells, long long max_wait_us) {
  std::vector<std::string> pools, intervals, bursts;
  for (const auto& cell : cells) {
    pools.push_back(cell.pool);
    intervals.push_back(std::to_string(cell.interval_us));
    bursts.push_back(std::to_string(cell.burst));
  }
  auto connection = m_store.take();
  auto rows = connection.exec("SELECT admitted, wait_us FROM keap_auth.admit($1::text[], $2::bigint[], "
                              "$3::bigint[], $4::bigint)",
                              {array_of(pools), array_of(intervals), array_of(bursts), std::to_string(max_wait_us)},
                              m_store.deadline());
  m_store.give_back(std::move(connection));
  return {rows.text(0, 0) == "t", std::max(0LL, std::stoll(rows.text(0, 1)))};
}

void SharedCells::observe(const SharedCell& cell, long long available) {
  auto connection = m_store.take();
  connection.exec(std::string("UPDATE keap_auth.pacing SET theoretical_arrival_us = greatest(theoretical_arrival_us, ") +
                      k_now_us + " + $2::bigint * ($3::bigint - least(greatest($4::bigint, 0), $3::bigint))) "
                                 "WHERE pool = $1",
                  {cell.pool, std::to_string(cell.interval_us), std::to_string(cell.burst), std::to_string(available)},
                  m_store.deadline());
  m_store.give_back(std::move(connection));
}

void SharedCells::hold(const std::string& pool, long long for_us) {
  auto connection = m_store.take();
  connection.exec(std::string("UPDATE keap_auth.pacing SET held_until_us = greatest(held_until_us, ") + k_now_us +
                      " + $2::bigint) WHERE pool = $1",
                  {pool, std::to_string(for_us)}, m_store.deadline());
  m_store.give_back(std::move(connection));
}

} // namespace keap::pgstore
