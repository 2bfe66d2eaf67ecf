#pragma once

#include "util/environment.hpp"
#include "util/timestamp.hpp"

#include <string>
#include <vector>

namespace keap::net {

/// The certificate and key an HTTPS redirect receiver serves, as PEM.
struct TlsIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
  std::string fingerprint; ///< SHA-256 of the certificate, "AB:CD:..." as browsers show it
  std::string spki_sha256; ///< base64 SHA-256 of the public key (Chromium's --ignore-certificate-errors-spki-list)
  std::string certificate_file;
  bool self_signed = false;
};

/// The user's own certificate and key (for example from mkcert). Throws Error (exit 2) naming the file
/// when either cannot be read or parsed, or when they do not belong together.
TlsIdentity load_tls_identity(const std::string& certificate_file, const std::string& private_key_file);

/// The reusable self-signed certificate for localhost, 127.0.0.1 and ::1 in `folder`
/// (localhost-cert.pem and localhost-key.pem, 0600, folder 0700): loaded when it is whole, matches
/// its key and is valid for at least another day; otherwise (re)generated, with a line in `notices`
/// saying why. P-256 key, SHA-256 signature, valid 365 days.
TlsIdentity self_signed_identity(const std::string& folder, util::TimePoint now, std::vector<std::string>& notices);

/// Where the self-signed certificate lives: $XDG_CONFIG_HOME/keap-auth, else ~/.config/keap-auth (the
/// passwd entry's home when HOME is unset). Throws Error (exit 2) when there is no home at all.
std::string default_certificate_folder(const util::EnvironmentLookup& environment);

} // namespace keap::net
