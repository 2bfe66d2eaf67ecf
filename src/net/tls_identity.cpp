#include "net/tls_identity.hpp"

#include "core/error.hpp"
#include "util/atomic_file.hpp"
#include "util/encoding.hpp"
#include "util/file_error.hpp"
#include "util/posix_file.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace keap::net {

namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using Certificate = std::unique_ptr<X509, Free>;
using PrivateKey = std::unique_ptr<EVP_PKEY, Free>;
using Bio = std::unique_ptr<BIO, Free>;

constexpr int k_validity_days = 365;

/// A PEM file, or nothing when it does not exist; Error (exit 2) naming `what` when it cannot be read.
std::optional<std::string> read_pem(const std::string& path, const std::string& what) {
  try {
    return util::read_regular_file(path);
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, what + ": " + error.what());
  }
}

Certificate parse_certificate(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PrivateKey parse_private_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PrivateKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string to_pem(X509* certificate) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), certificate);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string to_pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

TlsIdentity describe(X509* certificate, std::string certificate_pem, std::string key_pem, std::string file) {
  TlsIdentity identity{std::move(certificate_pem), std::move(key_pem), "", "", std::move(file), false};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &length);
  identity.fingerprint = util::hex(std::string_view(reinterpret_cast<const char*>(digest), length), ':');
  unsigned char* spki = nullptr;
  int spki_length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &spki);
  unsigned char spki_digest[32];
  EVP_Digest(spki, static_cast<size_t>(spki_length), spki_digest, nullptr, EVP_sha256(), nullptr);
  OPENSSL_free(spki);
  identity.spki_sha256 = util::base64(std::string_view(reinterpret_cast<const char*>(spki_digest), sizeof spki_digest));
  return identity;
}

bool add_extension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

/// A fresh P-256 key and a self-signed certificate for the loopback names.
std::pair<Certificate, PrivateKey> generate(util::TimePoint now) {
  PrivateKey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Certificate certificate(X509_new());
  auto fail = [] { return Error(ExitCode::failure, "OpenSSL could not create the self-signed certificate"); };
  if (!key || !certificate) {
    throw fail();
  }
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    throw fail();
  }
  serial[0] &= 0x7f; // a positive serial number
  std::unique_ptr<BIGNUM, decltype(&BN_free)> number(BN_bin2bn(serial, sizeof serial, nullptr), BN_free);
  auto seconds = std::chrono::system_clock::to_time_t(now);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  bool ok = X509_set_version(certificate.get(), 2) == 1 &&
            BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate.get())) != nullptr &&
            X509_time_adj_ex(X509_getm_notBefore(certificate.get()), 0, -3600, &seconds) != nullptr &&
            X509_time_adj_ex(X509_getm_notAfter(certificate.get()), k_validity_days, 0, &seconds) != nullptr &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("keap-auth localhost"), -1, -1, 0) == 1 &&
            X509_set_issuer_name(certificate.get(), name) == 1 && X509_set_pubkey(certificate.get(), key.get()) == 1 &&
            add_extension(certificate.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") &&
            add_extension(certificate.get(), NID_basic_constraints, "critical,CA:FALSE") &&
            add_extension(certificate.get(), NID_key_usage, "critical,digitalSignature") &&
            add_extension(certificate.get(), NID_ext_key_usage, "serverAuth") &&
            X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) {
    throw fail();
  }
  return {std::move(certificate), std::move(key)};
}

/// Why a stored certificate cannot be reused, or empty when it can.
std::string stored_problem(X509* certificate, EVP_PKEY* key, util::TimePoint now) {
  if (certificate == nullptr || key == nullptr) {
    return "is damaged";
  }
  if (X509_check_private_key(certificate, key) != 1) {
    return "does not match its key";
  }
  auto tomorrow = std::chrono::system_clock::to_time_t(now + std::chrono::days(1));
  if (X509_cmp_time(X509_get0_notAfter(certificate), &tomorrow) <= 0) {
    return "has expired or expires within a day";
  }
  if (X509_check_host(certificate, "localhost", 0, 0, nullptr) != 1) {
    return "is not for localhost";
  }
  return {};
}

} // namespace

std::string default_certificate_folder(const util::EnvironmentLookup& environment) {
  auto config = util::config_home(environment);
  if (!config) {
    throw Error(ExitCode::usage,
                "there is no home folder to keep the self-signed certificate in (HOME is unset "
                "and the user has no passwd entry)",
                "set HOME or XDG_CONFIG_HOME, or give --tls-cert and --tls-key");
  }
  return *config + "/keap-auth";
}

TlsIdentity load_tls_identity(const std::string& certificate_file, const std::string& private_key_file) {
  auto certificate_pem = read_pem(certificate_file, "--tls-cert");
  auto key_pem = read_pem(private_key_file, "--tls-key");
  Certificate certificate = certificate_pem ? parse_certificate(*certificate_pem) : nullptr;
  PrivateKey key = key_pem ? parse_private_key(*key_pem) : nullptr;
  if (!certificate) {
    throw Error(ExitCode::usage, "--tls-cert " + certificate_file + " is not a readable PEM certificate");
  }
  if (!key) {
    throw Error(ExitCode::usage, "--tls-key " + private_key_file + " is not a readable, unencrypted PEM private key");
  }
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    throw Error(ExitCode::usage,
                "--tls-key " + private_key_file + " does not belong to --tls-cert " + certificate_file);
  }
  return describe(certificate.get(), *certificate_pem, *key_pem, certificate_file);
}

TlsIdentity self_signed_identity(const std::string& folder, util::TimePoint now, std::vector<std::string>& notices) {
  auto certificate_file = folder + "/localhost-cert.pem";
  auto key_file = folder + "/localhost-key.pem";
  auto certificate_pem = read_pem(certificate_file, "the stored certificate");
  auto key_pem = read_pem(key_file, "the stored key");
  if (certificate_pem || key_pem) {
    Certificate certificate = certificate_pem ? parse_certificate(*certificate_pem) : nullptr;
    PrivateKey key = key_pem ? parse_private_key(*key_pem) : nullptr;
    auto problem = stored_problem(certificate.get(), key.get(), now);
    if (problem.empty()) {
      auto identity = describe(certificate.get(), *certificate_pem, *key_pem, certificate_file);
      identity.self_signed = true;
      return identity;
    }
    notices.push_back("the stored certificate " + certificate_file + " " + problem + "; made a new one");
  } else {
    notices.push_back("made a self-signed certificate for localhost: " + certificate_file);
  }
  auto [certificate, key] = generate(now);
  auto identity = describe(certificate.get(), to_pem(certificate.get()), to_pem(key.get()), certificate_file);
  identity.self_signed = true;
  try {
    util::create_private_folders(folder);
    util::write_file_atomically(key_file, identity.private_key_pem);
    util::write_file_atomically(certificate_file, identity.certificate_pem);
  } catch (const util::FileError& error) {
    throw Error(ExitCode::failure, std::string("cannot keep the self-signed certificate: ") + error.what(),
                "make " + folder + " writable, or give --tls-cert and --tls-key");
  }
  return identity;
}

} // namespace keap::net
