#pragma once

#include "core/credential.hpp"
#include "pgstore/connection.hpp"
#include "pgstore/seal.hpp"

#include <optional>
#include <string>
#include <vector>

/// keap_auth.credentials rows and the credentials they hold: what is plain (what `status` shows) and
/// what is sealed (the tokens, the client secret, the key).
namespace keap::pgstore {

/// The select list every read of a row uses, in Row's order.
extern const char* const k_row_columns;

struct Row {
  std::string profile;
  std::string kind; ///< oauth_grant | api_key
  long long generation = 0;
  std::string state;  ///< active | needs_login | disabled
  std::string sealed; ///< the secrets, as sealed bytes
  std::string key_id;
  long long db_now = 0; ///< the database's clock when it was read (epoch seconds)
  Credential plain;     ///< the credential with empty secrets
};

/// The row at `row` of a select of k_row_columns.
Row row_of(const Rows& rows, int row);

/// The secrets that get sealed, as JSON text.
std::string secrets_of(const Credential& credential);

/// `row`'s credential with the secrets in `plaintext` filled in; Error (exit 1) when they are not ours.
Credential with_secrets(const Row& row, const std::string& plaintext);

/// True when the two hold the same secrets (then an update changes only plain columns).
bool same_secrets(const Credential& left, const Credential& right);

/// The parameters $2.. of k_write_columns for `credential`, its times moved onto the database's clock
/// by `skew` seconds. $1 is the profile.
std::vector<Param> write_params(const std::string& profile, const Credential& credential, long long generation,
                                const std::string& key_id, const std::string& sealed_hex, const std::string& actor,
                                long long skew, int consecutive_failures);

/// UPDATE of every column a write sets, guarded by the generation read under the lock (the fence), and
/// the INSERT of a new row. Both take write_params, the UPDATE one more: the generation it expects.
extern const char* const k_update_sql;
extern const char* const k_insert_sql;

/// The channel every change of a credential row is announced on, inside the transaction that makes it
/// (so it is heard only once committed), with "STORE_ID:PROFILE" as payload: `keap-auth agent` LISTENs.
inline constexpr const char* k_change_channel = "keap_auth_changes";
void announce_change(Connection& connection, const std::string& store_id, const std::string& profile,
                     Clock::time_point deadline);

/// The SQL that makes the schema, statement by statement (store init), and the roles a DBA may add.
const std::vector<std::string>& schema_statements();
std::string schema_script(bool with_roles);

inline constexpr int k_schema_version = 1;

} // namespace keap::pgstore
