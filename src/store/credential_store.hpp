#pragma once

#include "core/credential.hpp"
#include "core/error.hpp"
#include "core/profile.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// Where credentials live. Every command reads and writes them through this interface, so the refresh
/// protocol (lock, re-read, decide, commit) is the same whatever holds them.
namespace keap::store {

/// The lock could not be had: another process (or host) holds it. Exit 5, naming the holder when the
/// store can tell; `refresh --all` on a store that shares work between hosts skips such a credential.
class Busy : public Error {
public:
  using Error::Error;
};

/// A credential as read, with what the reader should be told (loose permissions, say).
struct StoredCredential {
  Credential credential;
  std::vector<std::string> warnings;
};

/// A held lock on one profile's credential. Nothing is written unless commit() is called; destroying it
/// releases the lock.
class Transaction {
public:
  virtual ~Transaction() = default;
  /// The credential as re-read under the lock (another process may have just changed it); nothing when
  /// there is none. Throws Error when it is damaged or of a newer format.
  virtual std::optional<StoredCredential> current() = 0;
  /// Makes `fresh` the profile's credential, durably, before returning. Throws Error, leaving the old
  /// credential as it was.
  virtual void commit(const Credential& fresh) = 0;
  /// Keeps a damaged credential aside (0600) before a login replaces it; returns where, for the message.
  virtual std::optional<std::string> set_aside_damaged() = 0;
  /// Removes the profile's credential for good (`keap-auth logout`), durably, before returning.
  virtual void remove() = 0;
  /// The clock decisions under this lock use: the database's for a shared store, so hosts whose clocks
  /// differ decide alike; this machine's otherwise.
  virtual util::TimePoint now() { return util::now_seconds(); }
};

class CredentialStore {
public:
  virtual ~CredentialStore() = default;

  /// Lock-free read, for the hot path and status: writers replace whole records, so a reader never
  /// sees a part. Nothing means "run login"; a damaged record throws Error (exit 4), one that cannot be
  /// read at all exit 1.
  virtual std::optional<StoredCredential> read_credential(const std::string& profile) = 0;

  /// What `status` and `list` show: the credential with its plain parts, and its secrets only when they
  /// can be had cheaply (a shared store keeps them sealed, and this works without the key).
  virtual std::optional<StoredCredential> read_for_status(const std::string& profile) {
    return read_credential(profile);
  }

  /// True when several hosts share the store, so `refresh --all` skips what another host is refreshing
  /// instead of waiting for it.
  virtual bool shares_work() const { return false; }

  /// The clock the times a store records are on: the database's for a shared store (so hosts whose
  /// clocks differ compare alike, failure_cooldown included), this machine's otherwise.
  virtual util::TimePoint now() { return util::now_seconds(); }

  /// Takes the profile's lock, waiting at most `timeout`; Error (exit 5) naming describe() when the
  /// wait runs out, before anything is sent anywhere.
  virtual std::unique_ptr<Transaction> lock(const std::string& profile, std::chrono::milliseconds timeout) = 0;

  /// Every profile the store holds.
  virtual std::vector<std::string> profiles() = 0;

  /// For messages: "credentials file /srv/keap/prod.json". Never a secret.
  virtual std::string describe(const std::string& profile) const = 0;

  /// How what it saves is kept from others, for the message after a save: "mode 0600".
  virtual std::string protection() const = 0;

  /// Where the credential is, for --json ("credentials_file"): the file's absolute path, or for a
  /// database "postgres://HOST:PORT/DATABASE#PROFILE". Never a secret.
  virtual std::string location(const std::string& profile) const = 0;

  /// Proves a credential for `profile` could be written, before a login spends a code on it. Creates
  /// at most the last folder level; returns a notice to show when it did. Throws Error (exit 2).
  virtual std::optional<std::string> check_writable(const std::string& profile) = 0;

  /// The folder a rescue file for `profile` should go to first, and the stem of its name. Says where;
  /// creates nothing (the rescue makes the folder, or moves on to the next).
  virtual std::pair<std::string, std::string> rescue_location(const std::string& profile) const = 0;

  /// Where state that belongs with the profile's credential but is not one lives (the pending two-step
  /// login, the last rate limits): beside the credentials file for the file store. Says where; whoever
  /// writes there makes the folder (util::create_private_folders).
  virtual std::string companion_file(const std::string& profile, const std::string& suffix) const = 0;

  /// What a person types to put a rescued credential back.
  virtual std::string restore_command(const std::string& rescue_file, const std::string& profile) const = 0;
};

} // namespace keap::store
