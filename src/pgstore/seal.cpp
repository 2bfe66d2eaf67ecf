#include "pgstore/seal.hpp"

#include "core/error.hpp"
#include "util/atomic_file.hpp"
#include "util/encoding.hpp"
#include "util/file_error.hpp"
#include "util/posix_file.hpp"
#include "util/timestamp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

#include <sys/stat.h>

namespace keap::pgstore {

namespace {

constexpr size_t k_key_bytes = 32;
constexpr size_t k_nonce_bytes = 12;
constexpr size_t k_tag_bytes = 16;
constexpr unsigned char k_format = 0x01;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Error key_file_error(const std::string& origin, const std::string& problem) {
  return Error(ExitCode::usage, "store_key_file " + origin + ": " + problem,
               "each line is KID BASE64-OF-32-BYTES [active]; `keap-auth store key generate` prints one");
}

bool valid_key_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::string associated_data(std::string_view header, const SealContext& context) {
  std::string aad(header);
  aad += '\0';
  aad += "keap-auth/credential";
  aad += '\0';
  aad += context.store_id;
  aad += '\0';
  aad += context.profile;
  aad += '\0';
  for (int shift = 56; shift >= 0; shift -= 8) {
    aad += static_cast<char>((static_cast<unsigned long long>(context.generation) >> shift) & 0xff);
  }
  return aad;
}

const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }
unsigned char* bytes_of(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }

Error tampered() {
  return Error(ExitCode::failure, "a sealed credential in the PostgreSQL store does not open: wrong key or tampered",
               "check that store_key_file holds the key this store was sealed with; a value copied from another row or "
               "store never opens");
}

} // namespace

Keyring::~Keyring() {
  for (auto& key : m_keys) {
    OPENSSL_cleanse(key.bytes.data(), key.bytes.size());
  }
}

Keyring Keyring::parse(std::string_view text, const std::string& origin) {
  Keyring keyring;
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    auto line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    std::vector<std::string> words;
    for (size_t at = 0; at < line.size();) {
      auto first = line.find_first_not_of(" \t\r", at);
      if (first == std::string_view::npos || line[first] == '#') {
        break;
      }
      auto last = line.find_first_of(" \t\r", first);
      words.emplace_back(line.substr(first, last == std::string_view::npos ? std::string_view::npos : last - first));
      at = last == std::string_view::npos ? line.size() : last;
    }
    if (words.empty()) {
      continue;
    }
    auto where = "line " + std::to_string(line_number);
    if (words.size() > 3 || words.size() < 2 || (words.size() == 3 && words[2] != "active")) {
      throw key_file_error(origin, where + " is not KID BASE64 [active]");
    }
    auto bytes = util::base64_decode(words[1]);
    if (!valid_key_id(words[0])) {
      throw key_file_error(origin, where + ": the key id must be 1 to 32 letters, digits, '.', '_' or '-'");
    }
    if (!bytes || bytes->size() != k_key_bytes) {
      throw key_file_error(origin, where + ": the key is not 32 bytes of base64");
    }
    if (keyring.find(words[0])) {
      throw key_file_error(origin, where + ": the key id " + words[0] + " is there twice");
    }
    keyring.m_keys.push_back({words[0], std::move(*bytes), words.size() == 3});
  }
  auto actives = std::count_if(keyring.m_keys.begin(), keyring.m_keys.end(), [](const Key& key) { return key.active; });
  if (actives != 1) {
    throw key_file_error(origin, actives == 0 ? "no key is marked active" : "more than one key is marked active");
  }
  return keyring;
}

Keyring Keyring::load(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw Error(ExitCode::usage, "store_key_file " + path + " does not exist",
                "create it with `keap-auth store key generate` (it writes the file, mode 0600), or copy it from a host "
                "that has it");
  }
  if ((info.st_mode & 077) != 0) {
    throw Error(ExitCode::usage, "store_key_file " + path + " may be read by other users",
                "run `chmod 600 " + path + "`: it holds the keys to every token in the store");
  }
  std::optional<std::string> text;
  try {
    text = util::read_regular_file(path, 64 * 1024);
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string("store_key_file: ") + error.what());
  }
  auto keyring = parse(text.value_or(""), path);
  if (text) {
    OPENSSL_cleanse(text->data(), text->size());
  }
  return keyring;
}

const Key& Keyring::active() const {
  return *std::find_if(m_keys.begin(), m_keys.end(), [](const Key& key) { return key.active; });
}

const Key* Keyring::find(std::string_view id) const {
  auto found = std::find_if(m_keys.begin(), m_keys.end(), [&](const Key& key) { return key.id == id; });
  return found == m_keys.end() ? nullptr : &*found;
}

std::string generate_key_line() {
  std::string bytes(k_key_bytes, '\0');
  if (RAND_bytes(bytes_of(bytes), static_cast<int>(bytes.size())) != 1) {
    throw Error(ExitCode::failure, "the system's random generator failed");
  }
  std::string suffix(3, '\0');
  RAND_bytes(bytes_of(suffix), 3);
  auto id = "k" + util::format_rfc3339(util::now_seconds()).substr(0, 10) + "-" + util::hex(suffix);
  std::erase(id, '-');
  auto line = id + " " + util::base64(bytes) + " active";
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return line;
}

std::string add_new_key(const std::string& path) {
  std::string text;
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    auto existing = Keyring::load(path);
    for (const auto& key : existing.keys()) {
      text += key.id + " " + util::base64(key.bytes) + "\n";
    }
  }
  auto line = generate_key_line();
  text += line + "\n";
  auto id = line.substr(0, line.find(' '));
  OPENSSL_cleanse(line.data(), line.size());
  try {
    util::create_private_folders(util::folder_of(path));
    util::write_file_atomically(path, text);
  } catch (const util::FileError& error) {
    OPENSSL_cleanse(text.data(), text.size());
    throw Error(ExitCode::usage, std::string("store_key_file: ") + error.what());
  }
  OPENSSL_cleanse(text.data(), text.size());
  return id;
}

std::string seal(std::string_view plaintext, const Key& key, const SealContext& context) {
  std::string header = "KA";
  header += static_cast<char>(k_format);
  header += static_cast<char>(key.id.size());
  header += key.id;
  std::string nonce(k_nonce_bytes, '\0');
  if (RAND_bytes(bytes_of(nonce), static_cast<int>(nonce.size())) != 1) {
    throw Error(ExitCode::failure, "the system's random generator failed");
  }
  auto aad = associated_data(header, context);
  CipherContext cipher(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string ciphertext(plaintext.size(), '\0');
  std::string tag(k_tag_bytes, '\0');
  int length = 0, final_length = 0;
  bool ok = cipher && EVP_EncryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(k_nonce_bytes), nullptr) == 1 &&
            EVP_EncryptInit_ex(cipher.get(), nullptr, nullptr, bytes_of(key.bytes), bytes_of(nonce)) == 1 &&
            EVP_EncryptUpdate(cipher.get(), nullptr, &length, bytes_of(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(cipher.get(), bytes_of(ciphertext), &length, bytes_of(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(cipher.get(), bytes_of(ciphertext) + length, &final_length) == 1 &&
            EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_bytes), tag.data()) == 1;
  if (!ok) {
    throw Error(ExitCode::failure, "OpenSSL could not seal a credential (AES-256-GCM)");
  }
  return header + nonce + ciphertext + tag;
}

std::string key_id_of(std::string_view blob) {
  if (blob.size() < 4 || blob.substr(0, 2) != "KA" || static_cast<unsigned char>(blob[2]) != k_format) {
    return {};
  }
  auto length = static_cast<unsigned char>(blob[3]);
  return blob.size() < 4u + length ? std::string() : std::string(blob.substr(4, length));
}

std::string open_sealed(std::string_view blob, const Keyring& keyring, const SealContext& context) {
  auto id = key_id_of(blob);
  size_t header_size = 4 + id.size();
  if (id.empty() || blob.size() < header_size + k_nonce_bytes + k_tag_bytes) {
    throw tampered();
  }
  const Key* key = keyring.find(id);
  if (key == nullptr) {
    throw Error(ExitCode::usage,
                "a credential in the PostgreSQL store is sealed with the key " + id +
                    ", which store_key_file does not hold",
                "add that key's line (inactive) to store_key_file on this host");
  }
  auto aad = associated_data(blob.substr(0, header_size), context);
  auto nonce = blob.substr(header_size, k_nonce_bytes);
  auto ciphertext = blob.substr(header_size + k_nonce_bytes, blob.size() - header_size - k_nonce_bytes - k_tag_bytes);
  std::string tag(blob.substr(blob.size() - k_tag_bytes));
  std::string plaintext(ciphertext.size(), '\0');
  CipherContext cipher(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0, final_length = 0;
  bool ok = cipher && EVP_DecryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(k_nonce_bytes), nullptr) == 1 &&
            EVP_DecryptInit_ex(cipher.get(), nullptr, nullptr, bytes_of(key->bytes), bytes_of(nonce)) == 1 &&
            EVP_DecryptUpdate(cipher.get(), nullptr, &length, bytes_of(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(cipher.get(), bytes_of(plaintext), &length, bytes_of(ciphertext),
                              static_cast<int>(ciphertext.size())) == 1 &&
            // The tag goes in before the final call, which checks it.
            EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_bytes), tag.data()) == 1 &&
            EVP_DecryptFinal_ex(cipher.get(), bytes_of(plaintext) + length, &final_length) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    throw tampered();
  }
  return plaintext;
}

} // namespace keap::pgstore
