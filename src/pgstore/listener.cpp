#include "pgstore/listener.hpp"

#include "pgstore/pg_store.hpp"
#include "pgstore/rows.hpp"

namespace keap::pgstore {

ChangeListener::ChangeListener(PgStore& store) : m_connection(store.connect()), m_prefix(store.store_id() + ":") {
  m_connection.exec(std::string("LISTEN ") + k_change_channel, store.deadline());
}

std::vector<std::string> ChangeListener::wait(std::chrono::milliseconds timeout) {
  std::vector<std::string> profiles;
  for (const auto& payload : m_connection.notifications(timeout)) {
    if (payload.starts_with(m_prefix)) {
      profiles.push_back(payload.substr(m_prefix.size()));
    }
  }
  return profiles;
}

} // namespace keap::pgstore
