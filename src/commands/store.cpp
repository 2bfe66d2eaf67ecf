// `keap-auth store ...`: setting up and looking after the shared PostgreSQL store.
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "pgstore/admin.hpp"
#include "pgstore/journal.hpp"
#include "pgstore/rows.hpp"
#include "store/file_store.hpp"
#include "term/output.hpp"
#include "util/file_error.hpp"
#include "util/file_lock.hpp"
#include "util/posix_file.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

/// `store ...`: the PostgreSQL store's own commands.
struct StoreOptions {
  std::string action; ///< init, key generate, key list, rekey, import, export, doctor, reconcile
  bool print_sql = false;
  bool print_key = false;          ///< key generate --print
  std::optional<std::string> from; ///< import --from FILE
  std::optional<std::string> to;   ///< export --to FILE
  bool replace = false;
  bool keep = false;
};

void define(CLI::App& store, StoreOptions& options, GlobalOptions& global) {
  store.require_subcommand(1);
  auto action = [&](CLI::App& parent, const char* name, const char* summary, std::string value) {
    auto* command = parent.add_subcommand(name, summary);
    command->fallthrough();
    command->callback([&options, value] { options.action = value; });
    return command;
  };
  action(store, "init", "Make the schema and the store's id (idempotent; --print-sql for a DBA)", "init")
      ->add_flag("--print-sql", options.print_sql, "Print the SQL, with least-privilege roles, and change nothing");
  auto* key = store.add_subcommand("key", "The keys that seal the tokens");
  key->require_subcommand(1);
  key->fallthrough();
  action(*key, "generate", "Add a new active key to store_key_file (created 0600); then run store rekey",
         "key generate")
      ->add_flag("--print", options.print_key, "Print the key line (KID BASE64 active) instead, for a secret manager");
  action(*key, "list", "The key ids in store_key_file, and how many credentials each seals", "key list");
  action(store, "rekey", "Seal every credential again under the active key, online", "rekey");
  auto* import =
      action(store, "import", "Move a credentials file into the store as --profile (the file is retired)", "import");
  add_text(*import, "--from", options.from, "The credentials file (or rescue file) to import", "FILE");
  import->add_flag("--replace", options.replace, "Replace the profile if the store holds it already");
  auto* export_ =
      action(store, "export", "Write --profile's credential to a new 0600 file (the row is disabled)", "export");
  add_text(*export_, "--to", options.to, "The file to create", "FILE");
  export_->add_flag("--keep", options.keep,
                    "Leave the row in use too (two live copies: only for a backup you will not refresh)");
  action(store, "doctor", "Check TLS, timeouts, a pooler, clock skew, keys, journals, logins needed", "doctor");
  action(store, "reconcile", "Put every leftover journal's pair into the store", "reconcile");
  add_config_flag(store, global, "lock_timeout");
}

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
    throw Error(ExitCode::usage, "store import needs --from FILE",
                "for example: keap-auth store import --profile acme --from acme.json");
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
  pgstore::import_credential(
      store, context.profile, loaded->credential, options.replace, context.config.lock_timeout, [&] {
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
  pgstore::export_credential(
      store, context.profile, options.keep, context.config.lock_timeout, [&](const Credential& credential) {
        if (!util::write_new_private_file(*options.to, serialize_credential(credential))) {
          throw Error(ExitCode::usage,
                      "--to: cannot create " + *options.to + " (it exists, or the folder does not take files)",
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
    context.say(notice.text);
    conflict = conflict || notice.conflict;
  }
  if (notices.empty()) {
    context.say("no journal was waiting: the store holds every pair");
  }
  return conflict ? static_cast<int>(ExitCode::failure) : 0;
}

int run(const StoreOptions& options, const GlobalOptions& global) {
  if (options.action == "key generate" && options.print_key) {
    print_stdout(pgstore::generate_key_line() + "\n");
    return 0;
  }
  if (options.action == "init" && options.print_sql) {
    print_stdout(pgstore::schema_script(true));
    return 0;
  }
  auto context = open_context(global);
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

} // namespace

std::unique_ptr<Command> store_command() {
  return make_command<StoreOptions>(
      {"store", "The shared PostgreSQL store: init, key, rekey, import, export, doctor, reconcile", define, {}, run});
}

} // namespace keap::commands
