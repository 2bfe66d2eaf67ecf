#include "pgstore/admin.hpp"

#include "pgstore/journal.hpp"
#include "pgstore/transaction.hpp"
#include "util/timestamp.hpp"

#include <filesystem>

namespace keap::pgstore {

std::vector<std::string> rekey(PgStore& store, std::chrono::milliseconds lock_timeout) {
  auto active = store.keyring().active().id;
  std::vector<std::string> done;
  for (const auto& profile : store.profiles()) {
    PgTransaction transaction(store, profile, lock_timeout);
    if (transaction.row() && transaction.row()->key_id != active) {
      transaction.reseal();
      done.push_back(profile);
    }
  }
  return done;
}

std::map<std::string, int> key_usage(PgStore& store) {
  auto connection = store.connect();
  auto rows = connection.exec("SELECT key_id, count(*) FROM keap_auth.credentials GROUP BY key_id ORDER BY key_id",
                              store.deadline());
  std::map<std::string, int> usage;
  for (int i = 0; i < rows.size(); ++i) {
    usage[rows.text(i, 0)] = std::stoi(rows.text(i, 1));
  }
  return usage;
}

void import_credential(PgStore& store, const std::string& profile, const Credential& credential, bool replace,
                       std::chrono::milliseconds lock_timeout, const std::function<void()>& retire) {
  store.keyring(); // refuse before anything moves
  PgTransaction transaction(store, profile, lock_timeout);
  if (transaction.row() && transaction.row()->state != "disabled" && !replace) {
    throw Error(ExitCode::usage, "the store already holds the profile " + profile + "; nothing was imported",
                "add --replace to put this credential in its place");
  }
  retire();
  transaction.commit(credential);
}

void export_credential(PgStore& store, const std::string& profile, bool keep, std::chrono::milliseconds lock_timeout,
                       const std::function<void(const Credential&)>& write) {
  PgTransaction transaction(store, profile, lock_timeout);
  auto current = transaction.current();
  if (!current) {
    throw Error(ExitCode::relogin, "the store holds no credential for the profile " + profile);
  }
  write(current->credential);
  if (!keep) {
    transaction.disable();
  }
}

DoctorReport doctor(PgStore& store) {
  DoctorReport report;
  auto fact = [&](std::string what, std::string found) {
    report.facts.emplace_back(std::move(what), std::move(found));
  };
  auto connection = store.connect();
  auto deadline = store.deadline();
  fact("database", connection.where());
  fact("server", connection.exec("SELECT version()", deadline).text(0, 0));
  auto ssl = connection
                 .exec("SELECT coalesce((SELECT ssl::text || ' ' || coalesce(version, '') FROM pg_stat_ssl "
                       "WHERE pid = pg_backend_pid()), 'unknown')",
                       deadline)
                 .text(0, 0);
  fact("TLS", ssl.starts_with("true") ? "in use (" + ssl.substr(5) + ")" : "not in use (a Unix socket or loopback)");
  fact("store id", store.store_id());

  // The timeouts a refresh runs under, as the server sees them after SET LOCAL.
  connection.exec("BEGIN", deadline);
  const auto& settings = store.settings();
  connection.exec("SELECT set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', "
                  "$2, true)",
                  {std::to_string(settings.statement_timeout.count()) + "ms",
                   std::to_string((settings.refresh_deadline + std::chrono::seconds(30)).count()) + "ms"},
                  deadline);
  auto timeouts = connection.exec("SELECT current_setting('statement_timeout'), "
                                  "current_setting('idle_in_transaction_session_timeout'), pg_backend_pid()",
                                  deadline);
  connection.exec("COMMIT", deadline);
  fact("statement_timeout", timeouts.text(0, 0));
  fact("idle_in_transaction_session_timeout", timeouts.text(0, 1));
  auto again = connection.exec("SELECT pg_backend_pid()", deadline).text(0, 0);
  if (again != timeouts.text(0, 2)) {
    report.problems.push_back("a pooler sits between keap-auth and the database (the backend changed between "
                              "transactions): it must run in transaction or session mode, with an "
                              "idle_transaction_timeout above the refresh deadline + 30 s");
  }
  auto skew = std::stoll(connection.exec("SELECT extract(epoch from now())::bigint", deadline).text(0, 0)) -
              util::now_seconds().time_since_epoch().count();
  fact("clock skew", std::to_string(skew) + " s (the database's clock decides)");
  if (skew > 300 || skew < -300) {
    report.problems.push_back("this machine's clock is " + std::to_string(skew) + " s off the database's");
  }

  const auto& keyring = store.keyring();
  for (const auto& [id, rows] : key_usage(store)) {
    fact("key " + id, std::to_string(rows) + " credentials" + (keyring.find(id) ? "" : ", NOT in store_key_file"));
    if (!keyring.find(id)) {
      report.problems.push_back("credentials sealed with the key " + id + " cannot be opened here");
    }
  }
  fact("active key", keyring.active().id);
  std::error_code missing;
  int journals = 0;
  for (std::filesystem::directory_iterator entry(store.journal_folder(), missing), end; !missing && entry != end;
       entry.increment(missing)) {
    journals += entry->path().string().ends_with(".journal") ? 1 : 0;
  }
  fact("journals left over", std::to_string(journals));
  if (journals > 0) {
    report.problems.push_back(std::to_string(journals) + " journals wait in " + store.journal_folder() +
                              ": run `keap-auth store reconcile`");
  }
  auto needing =
      connection.exec("SELECT profile FROM keap_auth.credentials WHERE state = 'needs_login' ORDER BY 1", deadline);
  for (int i = 0; i < needing.size(); ++i) {
    report.problems.push_back("the profile " + needing.text(i, 0) + " needs a login: run `keap-auth login --profile " +
                              needing.text(i, 0) + "`");
  }
  return report;
}

} // namespace keap::pgstore
