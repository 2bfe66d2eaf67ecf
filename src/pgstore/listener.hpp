#pragma once

#include "pgstore/connection.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace keap::pgstore {

class PgStore;

/// A session of its own that LISTENs for the store's changes (rows.hpp's k_change_channel): every
/// commit that changes a credential of this store announces its profile, so an agent serves it at once
/// instead of at its next poll.
class ChangeListener {
public:
  /// Connects and LISTENs; PgError when the store cannot be reached.
  explicit ChangeListener(PgStore& store);
  /// The profiles of this store announced within `timeout` (empty: none came). PgError
  /// connection_lost when the session is gone (a restart, a cut): make a new listener.
  std::vector<std::string> wait(std::chrono::milliseconds timeout);

private:
  Connection m_connection;
  std::string m_prefix; ///< "STORE_ID:"
};

} // namespace keap::pgstore
