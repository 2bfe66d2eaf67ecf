#include "http_server.hpp"

#include "error.hpp"

#include <httplib.h>
#include <openssl/pem.h>

namespace keap {

std::unique_ptr<httplib::Server> make_http_server(const TlsIdentity* tls) {
  if (tls == nullptr) {
    return std::make_unique<httplib::Server>();
  }
  BIO* certificate_bio = BIO_new_mem_buf(tls->certificate_pem.data(), static_cast<int>(tls->certificate_pem.size()));
  BIO* key_bio = BIO_new_mem_buf(tls->private_key_pem.data(), static_cast<int>(tls->private_key_pem.size()));
  X509* certificate = PEM_read_bio_X509(certificate_bio, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(certificate_bio);
  BIO_free(key_bio);
  auto server = std::make_unique<httplib::SSLServer>(certificate, key); // takes its own references
  X509_free(certificate);
  EVP_PKEY_free(key);
  if (!server->is_valid()) {
    throw Error(ExitCode::usage, "the certificate " + tls->certificate_file + " cannot be served",
                "check --tls-cert and --tls-key");
  }
  return server;
}

} // namespace keap
