#pragma once

#include <string>
#include <string_view>
#include <vector>

/// Sealed values (design/store.md section 11): AES-256-GCM with a random nonce per seal, a versioned
/// header naming the key, and the store, the profile and the generation bound in as associated data,
/// so a sealed value copied to another row, store or generation does not open.
namespace keap::pgstore {

struct Key {
  std::string id;    ///< 1 to 32 of [A-Za-z0-9._-]
  std::string bytes; ///< 32 bytes
  bool active = false;
};

/// The keys of store_key_file: lines "KID BASE64 [active]", exactly one active. Keys are wiped when it
/// goes.
class Keyring {
public:
  /// Reads the file; Error (exit 2) when it is missing, readable by group or others, or malformed.
  static Keyring load(const std::string& path);
  /// Parses the text; Error (exit 2) naming `origin` and the line. Pure.
  static Keyring parse(std::string_view text, const std::string& origin);

  Keyring() = default;
  ~Keyring();
  Keyring(Keyring&&) = default;
  Keyring& operator=(Keyring&&) = default;
  Keyring(const Keyring&) = default;
  Keyring& operator=(const Keyring&) = default;

  const Key& active() const;
  const Key* find(std::string_view id) const;
  const std::vector<Key>& keys() const { return m_keys; }

private:
  std::vector<Key> m_keys;
};

/// A line for the key file: a new random 32-byte key, marked active.
std::string generate_key_line();

/// Adds a new active key to the key file at `path` (created 0600 when missing), the keys already
/// there kept but no longer active, in one atomic replacement; returns the new key's id. Error (exit 2)
/// when the file there is not a key file.
std::string add_new_key(const std::string& path);

/// What a sealed value is bound to.
struct SealContext {
  std::string store_id; ///< the 16 raw bytes of the store's uuid
  std::string profile;
  long long generation = 0;
};

/// "KA" 0x01 kid_len kid nonce(12) ciphertext tag(16).
std::string seal(std::string_view plaintext, const Key& key, const SealContext& context);

/// The plaintext; Error exit 2 when the keyring lacks the blob's key, exit 1 "wrong key or tampered"
/// when it does not open (or is not a sealed value at all).
std::string open_sealed(std::string_view blob, const Keyring& keyring, const SealContext& context);

/// The key id in a sealed value's header, or "" when it has none.
std::string key_id_of(std::string_view blob);

} // namespace keap::pgstore
