#pragma once

#include "pgstore/pg_store.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

/// `keap-auth store ...`: what an operator does to the PostgreSQL store besides using it.
namespace keap::pgstore {

/// Every row sealed again under the active key, one transaction per profile under its lock (so a
/// refresh and a rekey never lose each other's update), generations unchanged. Returns the profiles.
std::vector<std::string> rekey(PgStore& store, std::chrono::milliseconds lock_timeout);

/// How many rows each key id seals.
std::map<std::string, int> key_usage(PgStore& store);

/// Puts `credential` into the store as `profile` (an existing one only with `replace`), under the
/// profile's lock. `retire` runs under that lock before the commit (it moves the source file away, so
/// no file-based refresh can spend the refresh token that is now shared).
void import_credential(PgStore& store, const std::string& profile, const Credential& credential, bool replace,
                       std::chrono::milliseconds lock_timeout, const std::function<void()>& retire);

/// The profile's credential, handed to `write` under the profile's lock; then, unless `keep`, the row
/// is disabled (one live copy of a refresh token, never two).
void export_credential(PgStore& store, const std::string& profile, bool keep, std::chrono::milliseconds lock_timeout,
                       const std::function<void(const Credential&)>& write);

struct DoctorReport {
  std::vector<std::pair<std::string, std::string>> facts; ///< what was checked, and what was found
  std::vector<std::string> problems;
};

/// TLS in use, the server, the effective timeouts after SET LOCAL, a pooler in between, clock skew,
/// key ids in use against the key file, leftover journals, credentials needing a login.
DoctorReport doctor(PgStore& store);

} // namespace keap::pgstore
