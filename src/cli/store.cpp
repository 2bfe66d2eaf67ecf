// `keap-auth store ...`: setting up and looking after the shared PostgreSQL store.
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "pgstore/admin.hpp"
#include "pgstore/journal.hpp"
#include "pgstore/rows.hpp"
#include "store/file_store.hpp"
#include "util/file_error.hpp"
#include "util/file_lock.hpp"
#include "util/posix_file.hpp"

#include <cstdio>

namespace keap::cli {

namespace {

pgstore::PgStore& postgres_of(Context& context) {
  auto* store = dynamic_cast<pgstore::PgStore*>(context.store.get());
  if (store == nullptr) {
    throw Error(ExitCode::usage, "`keap-auth store` acts on the PostgreSQL store, and this configuration uses files",
                "set \"store\": \"postgres\" and store_url in the config (or KEAP_STORE=postgres and KEAP_STORE_URL)");
  }
  return *store;
}

int initialise(Context& context) {
  auto& store = postgres_of(context);
  auto id = pgstore::initialise(store);
  context.say("the PostgreSQL store " + pgstore::display_of(store.settings().store_url) + " is ready (store id " + id +
              ", schema version " + std::to_string(pgstore::k_schema_version) + ")");
  try {
    store.keyring();
  } catch (const Error& error) {
    context.warn(std::string(error.what()) + "; " + error.hint());
  }
  return 0;
}

/// Works without a store (the key comes before `store init` on a new host), so it needs only the config.
int generate_key(Context& context) {
  const auto& path = context.config.store_key_file;
  auto id = pgstore::add_new_key(path);
  context.say("added the key " + id + " to " + path + " (mode 0600) as the active one; new seals use it");
  context.say("next: copy " + path + " to every host that uses the store, then run `keap-auth store rekey`" +
              " to seal what the store holds under it (the old keys stay until nothing uses them: store key list)");
  return 0;
}

int list_keys(Context& context) {
  auto& store = postgres_of(context);
  const auto& keyring = store.keyring();
  auto usage = pgstore::key_usage(store);
  std::string text;
  for (const auto& key : keyring.keys()) {
    text += key.id + (key.active ? " (active)" : "") + ": " + std::to_string(usage[key.id]) + " credentials\n";
    usage.erase(key.id);
  }
  for (const auto& [id, rows] : usage) {
    text += id + " (NOT in " + store.settings().key_file + "): " + std::to_string(rows) + " credentials\n";
  }
  print_stdout(text);
  return usage.empty() ? 0 : static_cast<int>(ExitCode::failure);
}

int rekey(Context& context) {
  auto& store = postgres_of(context);
  auto done = pgstore::rekey(store, context.config.lock_timeout);
  context.say("sealed " + std::to_string(done.size()) + " credentials again under the key " +
              store.keyring().active().id + "; the others already were");
  return 0;
}

/// Moves FILE into the store under its own lock, and retires it before the lock goes: a file-based
/// refresh that waited for the lock then finds no file, instead of spending the shared refresh token.
int import_file(Context& context, const StoreOptions& options) {
  auto& store = postgres_of(context);
  if (!options.from) {
    throw Error(ExitCode::usage, "store import needs --from FILE", "for example: keap-auth store import --profile acme --from acme.json");
  }
  auto target = store::resolve_links(*options.from);
  std::optional<util::FileLock> lock;
  try {
    lock.emplace(target + ".lock");
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string("--from: ") + error.what());
  }
  if (!lock->acquire(context.config.lock_timeout)) {
    throw store::Busy(ExitCode::unavailable, "another keap-auth process holds the lock of " + target,
                      "try again once its refresh is done");
  }
  auto loaded = store::read_credentials_file(target);
  if (!loaded) {
    throw Error(ExitCode::usage, "--from: " + target + " does not exist");
  }
  auto retired = target + ".imported-" + util::format_rfc3339(util::now_seconds());
  pgstore::import_credential(store, context.profile, loaded->credential, options.replace, context.config.lock_timeout,
                             [&] {
                               if (::rename(target.c_str(), retired.c_str()) != 0) {
                                 throw Error(ExitCode::failure, "cannot move " + target + " aside, so nothing was imported",
                                             "check the folder's permissions");
                               }
                             });
  context.say("imported " + target + " as the " + store.describe(context.profile) + "; the file is now " + retired +
              ", so no file-based refresh can spend the refresh token the store holds");
  return 0;
}

int export_file(Context& context, const StoreOptions& options) {
  auto& store = postgres_of(context);
  if (!options.to) {
    throw Error(ExitCode::usage, "store export needs --to FILE");
  }
  pgstore::export_credential(store, context.profile, options.keep, context.config.lock_timeout,
                             [&](const Credential& credential) {
                               if (!util::write_new_private_file(*options.to, serialize_credential(credential))) {
                                 throw Error(ExitCode::usage, "--to: cannot create " + *options.to +
                                                                  " (it exists, or the folder does not take files)",
                                             "give a new file");
                               }
                             });
  context.say("wrote the " + store.describe(context.profile) + " to " + *options.to + " (mode 0600)" +
              (options.keep ? "; the store keeps using it too: never refresh both copies"
                            : "; the row is disabled, so only that file is live now"));
  return 0;
}

int doctor(Context& context) {
  auto report = pgstore::doctor(postgres_of(context));
  std::string text;
  for (const auto& [what, found] : report.facts) {
    text += what + ": " + found + "\n";
  }
  for (const auto& problem : report.problems) {
    text += "problem: " + problem + "\n";
  }
  text += report.problems.empty() ? "no problems found\n" : "";
  print_stdout(text);
  return report.problems.empty() ? 0 : static_cast<int>(ExitCode::failure);
}

int reconcile(Context& context) {
  auto& store = postgres_of(context);
  auto connection = store.connect();
  auto notices = pgstore::replay_journals(connection, store.store_id(), store.journal_folder(),
                                          store.settings().journal_retention, store.settings().actor, store.deadline());
  bool conflict = false;
  for (const auto& notice : notices) {
    context.say(notice);
    conflict = conflict || notice.find("does not fit") != std::string::npos;
  }
  if (notices.empty()) {
    context.say("no journal was waiting: the store holds every pair");
  }
  return conflict ? static_cast<int>(ExitCode::failure) : 0;
}

} // namespace

int run_store(const CommandLine& line) {
  const auto& options = line.store;
  if (options.action == "key generate" && options.print_key) {
    print_stdout(pgstore::generate_key_line() + "\n");
    return 0;
  }
  if (options.action == "init" && options.print_sql) {
    print_stdout(pgstore::schema_script(true));
    return 0;
  }
  auto context = open_context(line.global);
  if (options.action == "init") {
    return initialise(context);
  }
  if (options.action == "key generate") {
    return generate_key(context);
  }
  if (options.action == "key list") {
    return list_keys(context);
  }
  if (options.action == "rekey") {
    return rekey(context);
  }
  if (options.action == "import") {
    return import_file(context, options);
  }
  if (options.action == "export") {
    return export_file(context, options);
  }
  if (options.action == "doctor") {
    return doctor(context);
  }
  return reconcile(context);
}

} // namespace keap::cli
