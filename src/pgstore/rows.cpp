#include "pgstore/rows.hpp"

#include "util/encoding.hpp"
#include "util/json.hpp"

#include <charconv>

namespace keap::pgstore {

namespace {

long long number(const std::string& text) {
  long long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

util::TimePoint time_of(const Rows& rows, int row, int column) {
  return util::TimePoint{std::chrono::seconds{number(rows.text(row, column))}};
}

Param optional_text(const std::optional<std::string>& value) { return value; }

Param epoch(util::TimePoint time, long long skew) { return std::to_string(time.time_since_epoch().count() + skew); }

KeyKind key_kind_of(const std::string& name) {
  return name == "pat"   ? KeyKind::personal_access_token
         : name == "sak" ? KeyKind::service_account_key
                         : KeyKind::unknown;
}

} // namespace

const char* const k_row_columns =
    "profile, kind, key_kind, generation, state, app, client_id, token_url, token_auth, token_type, scope, "
    "extract(epoch from access_expires_at)::bigint, extract(epoch from refresh_obtained_at)::bigint, "
    "extract(epoch from obtained_at)::bigint, key_id, encode(secrets, 'hex'), last_error, "
    "extract(epoch from last_error_at)::bigint, last_error_kind, extract(epoch from clock_timestamp())::bigint";

Row row_of(const Rows& rows, int row) {
  Row result;
  result.profile = rows.text(row, 0);
  result.kind = rows.text(row, 1);
  result.generation = number(rows.text(row, 3));
  result.state = rows.text(row, 4);
  result.key_id = rows.text(row, 14);
  result.sealed = util::hex_decode(rows.text(row, 15)).value_or("");
  result.db_now = number(rows.text(row, 19));
  if (result.kind == "api_key") {
    result.plain = ApiKey{"", key_kind_of(rows.text(row, 2)), time_of(rows, row, 13), ""};
    return result;
  }
  OAuthGrant grant;
  grant.app = rows.value(row, 5);
  grant.client_id = rows.text(row, 6);
  grant.token_url = rows.text(row, 7);
  grant.token_auth = parse_token_auth(rows.text(row, 8)).value_or(TokenAuth::keap);
  grant.token_type = rows.text(row, 9);
  grant.scope = rows.text(row, 10);
  grant.expires_at = time_of(rows, row, 11);
  grant.refresh_token_obtained_at = time_of(rows, row, 12);
  grant.obtained_at = time_of(rows, row, 13);
  if (rows.value(row, 16)) {
    grant.last_refresh_failure = RefreshFailure{time_of(rows, row, 17), rows.text(row, 18), rows.text(row, 16)};
  }
  result.plain = grant;
  return result;
}

std::string secrets_of(const Credential& credential) {
  if (const auto* grant = std::get_if<OAuthGrant>(&credential)) {
    return util::dump_json(nlohmann::json{{"access_token", grant->access_token},
                                          {"refresh_token", grant->refresh_token},
                                          {"client_secret", grant->client_secret}});
  }
  return util::dump_json(nlohmann::json{{"api_key", std::get<ApiKey>(credential).key}});
}

Credential with_secrets(const Row& row, const std::string& plaintext) {
  auto json = util::parse_json(plaintext);
  auto text = [&](const char* name) { return util::string_member(json, name); };
  Credential credential = row.plain;
  if (auto* grant = std::get_if<OAuthGrant>(&credential)) {
    auto access = text("access_token"), refresh = text("refresh_token"), secret = text("client_secret");
    if (!access || !refresh || !secret) {
      throw Error(ExitCode::failure, "the sealed credential of the profile " + row.profile + " is not a grant's");
    }
    grant->access_token = *access;
    grant->refresh_token = *refresh;
    grant->client_secret = *secret;
  } else {
    auto key = text("api_key");
    if (!key) {
      throw Error(ExitCode::failure, "the sealed credential of the profile " + row.profile + " is not a key's");
    }
    std::get<ApiKey>(credential).key = *key;
  }
  return credential;
}

bool same_secrets(const Credential& left, const Credential& right) { return secrets_of(left) == secrets_of(right); }

std::vector<Param> write_params(const std::string& profile, const Credential& credential, long long generation,
                                const std::string& key_id, const std::string& sealed_hex, const std::string& actor,
                                long long skew, int consecutive_failures) {
  const auto* grant = std::get_if<OAuthGrant>(&credential);
  const auto* key = std::get_if<ApiKey>(&credential);
  const auto& failure = grant ? grant->last_refresh_failure : std::nullopt;
  bool rejected = failure && failure->kind == "rejected";
  auto key_kind = key && key->kind != KeyKind::unknown ? Param(key_kind_name(key->kind)) : std::nullopt;
  return {profile,
          grant ? "oauth_grant" : "api_key",
          key_kind,
          std::to_string(generation),
          rejected ? "needs_login" : "active",
          grant ? optional_text(grant->app) : std::nullopt,
          grant ? Param(grant->client_id) : std::nullopt,
          grant ? Param(grant->token_url) : std::nullopt,
          grant ? Param(token_auth_name(grant->token_auth)) : std::nullopt,
          grant ? Param(grant->token_type) : std::nullopt,
          grant ? Param(grant->scope) : std::nullopt,
          grant ? epoch(grant->expires_at, skew) : std::nullopt,
          grant ? epoch(grant->refresh_token_obtained_at, skew) : std::nullopt,
          epoch(grant ? grant->obtained_at : key->obtained_at, skew),
          key_id,
          sealed_hex,
          failure ? Param(failure->message) : std::nullopt,
          failure ? epoch(failure->at, skew) : std::nullopt,
          failure ? Param(failure->kind) : std::nullopt,
          actor,
          std::to_string(consecutive_failures)};
}

const char* const k_update_sql =
    "UPDATE keap_auth.credentials SET kind = $2, key_kind = $3, generation = $4, state = $5, app = $6, "
    "client_id = $7, token_url = $8, token_auth = $9, token_type = $10, scope = $11, "
    "access_expires_at = to_timestamp($12::bigint), refresh_obtained_at = to_timestamp($13::bigint), "
    "obtained_at = to_timestamp($14::bigint), key_id = $15, secrets = decode($16, 'hex'), last_error = $17, "
    "last_error_at = to_timestamp($18::bigint), last_error_kind = $19, last_attempt_at = now(), "
    "last_attempt_by = $20, consecutive_failures = $21::integer, updated_at = now() "
    "WHERE profile = $1 AND generation = $22::bigint";

const char* const k_insert_sql =
    "INSERT INTO keap_auth.credentials (profile, kind, key_kind, generation, state, app, client_id, token_url, "
    "token_auth, token_type, scope, access_expires_at, refresh_obtained_at, obtained_at, key_id, secrets, last_error, "
    "last_error_at, last_error_kind, last_attempt_at, last_attempt_by, consecutive_failures) VALUES ($1, $2, $3, "
    "$4::bigint, $5, $6, $7, $8, $9, $10, $11, to_timestamp($12::bigint), to_timestamp($13::bigint), "
    "to_timestamp($14::bigint), $15, decode($16, 'hex'), $17, to_timestamp($18::bigint), $19, now(), $20, "
    "$21::integer)";

void announce_change(Connection& connection, const std::string& store_id, const std::string& profile,
                     Clock::time_point deadline) {
  connection.exec("SELECT pg_notify($1, $2)", {std::string(k_change_channel), store_id + ":" + profile}, deadline);
}

const std::vector<std::string>& schema_statements() {
  static const std::vector<std::string> k_statements{
      "CREATE SCHEMA IF NOT EXISTS keap_auth",
      "CREATE TABLE IF NOT EXISTS keap_auth.meta (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), "
      "store_id uuid NOT NULL, schema_version integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
      "CREATE TABLE IF NOT EXISTS keap_auth.credentials ("
      "profile text PRIMARY KEY CHECK (profile ~ '^[a-z0-9._-]{1,63}$'), "
      "kind text NOT NULL CHECK (kind IN ('oauth_grant', 'api_key')), "
      "key_kind text CHECK (key_kind IN ('pat', 'sak')), "
      "generation bigint NOT NULL DEFAULT 1, "
      "state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'needs_login', 'disabled')), "
      "app text, client_id text, token_url text, token_auth text, token_type text, scope text, "
      "access_expires_at timestamptz, refresh_obtained_at timestamptz, obtained_at timestamptz NOT NULL, "
      "key_id text NOT NULL, secrets bytea NOT NULL, "
      "last_attempt_at timestamptz, last_attempt_by text, "
      "last_error text, last_error_at timestamptz, last_error_kind text, "
      "consecutive_failures integer NOT NULL DEFAULT 0, "
      "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), "
      "CHECK (kind <> 'oauth_grant' OR (client_id IS NOT NULL AND token_url IS NOT NULL "
      "AND access_expires_at IS NOT NULL AND refresh_obtained_at IS NOT NULL)))",
      "CREATE INDEX IF NOT EXISTS credentials_due ON keap_auth.credentials (refresh_obtained_at) WHERE state = "
      "'active'",
      "CREATE TABLE IF NOT EXISTS keap_auth.events (id bigserial PRIMARY KEY, "
      "profile text NOT NULL REFERENCES keap_auth.credentials(profile) ON DELETE CASCADE, "
      "at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL, kind text NOT NULL, "
      "from_generation bigint, to_generation bigint, detail text)",
      "INSERT INTO keap_auth.meta (store_id, schema_version) VALUES (gen_random_uuid(), 1) ON CONFLICT DO NOTHING",
      // The agent's pacer (pgstore/pacing.hpp): one GCRA cell per pool of Keap's, shared by every host.
      // Added to version 1 as a table of its own: `store init` on an older store adds it, and an agent
      // that finds none paces its own host.
      "CREATE TABLE IF NOT EXISTS keap_auth.pacing (pool text PRIMARY KEY, "
      "theoretical_arrival_us bigint NOT NULL DEFAULT 0, held_until_us bigint NOT NULL DEFAULT 0)",
      // One admission, agent::Gcra's arithmetic on the database's clock. The clock is read after the rows
      // are locked: read before, a wait for another host's admission would make this one late, and a
      // late request lands in the window of the ones after it.
      "CREATE OR REPLACE FUNCTION keap_auth.admit(pools text[], intervals bigint[], bursts bigint[], "
      "max_wait_us bigint) RETURNS TABLE (admitted boolean, wait_us bigint) LANGUAGE plpgsql AS $$\n"
      "DECLARE now_us bigint; longest bigint := 0; held bigint := 0; cell record;\n"
      "BEGIN\n"
      "  INSERT INTO keap_auth.pacing (pool) SELECT unnest(pools) ON CONFLICT DO NOTHING;\n"
      "  PERFORM 1 FROM keap_auth.pacing WHERE pool = ANY(pools) ORDER BY pool FOR UPDATE;\n"
      "  now_us := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;\n"
      "  FOR cell IN SELECT p.theoretical_arrival_us AS tat, p.held_until_us AS held_until, w.interval_us, w.burst\n"
      "      FROM keap_auth.pacing p JOIN unnest(pools, intervals, bursts) AS w(pool, interval_us, burst)\n"
      "      ON w.pool = p.pool LOOP\n"
      "    longest := greatest(longest, greatest(cell.tat, now_us) + cell.interval_us - cell.interval_us * "
      "cell.burst - now_us);\n"
      "    held := greatest(held, cell.held_until - now_us);\n"
      "  END LOOP;\n"
      "  IF held > 0 THEN RETURN QUERY SELECT false, held; RETURN; END IF;\n"
      "  IF longest > max_wait_us THEN RETURN QUERY SELECT false, longest; RETURN; END IF;\n"
      "  UPDATE keap_auth.pacing p SET theoretical_arrival_us = greatest(p.theoretical_arrival_us, now_us + longest) "
      "+ w.interval_us FROM unnest(pools, intervals) AS w(pool, interval_us) WHERE p.pool = w.pool;\n"
      "  RETURN QUERY SELECT true, longest;\n"
      "END $$",
  };
  return k_statements;
}

std::string schema_script(bool with_roles) {
  std::string script = "-- keap-auth store schema, version " + std::to_string(k_schema_version) +
                       " (what `keap-auth store init` runs, in one transaction)\nBEGIN;\n"
                       "SELECT pg_advisory_xact_lock(hashtextextended('keap-auth:migrate', 0));\n";
  for (const auto& statement : schema_statements()) {
    script += statement + ";\n";
  }
  if (with_roles) {
    script += "-- Least privilege: the refresher reads and updates credentials and appends events; the role that\n"
              "-- ran this owns the DDL. Grant keap_auth_rw to the login role keap-auth connects as.\n"
              "DO $$ BEGIN CREATE ROLE keap_auth_rw NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
              "GRANT USAGE ON SCHEMA keap_auth TO keap_auth_rw;\n"
              "GRANT SELECT ON keap_auth.meta TO keap_auth_rw;\n"
              "GRANT SELECT, INSERT, UPDATE ON keap_auth.credentials TO keap_auth_rw;\n"
              "GRANT INSERT ON keap_auth.events TO keap_auth_rw;\n"
              "GRANT SELECT, INSERT, UPDATE ON keap_auth.pacing TO keap_auth_rw;\n"
              "GRANT USAGE ON SEQUENCE keap_auth.events_id_seq TO keap_auth_rw;\n";
  }
  return script + "COMMIT;\n";
}

} // namespace keap::pgstore
