#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace keap {

/// How the client authenticates at the token endpoint.
enum class TokenAuth {
  keap,                ///< Keap's documented mix: secret in the body for the code, HTTP Basic for refresh
  client_secret_post,  ///< RFC 6749 2.3.1, credentials in the body for every grant
  client_secret_basic, ///< RFC 6749 2.3.1, HTTP Basic for every grant
};

/// Everything a command needs to know about the client and the server, after every layer is applied.
struct Config {
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri = "http://localhost:8765/callback";
  std::string scope = "full";
  std::string authorize_url = "https://accounts.infusionsoft.com/app/oauth/authorize";
  std::string token_url = "https://api.infusionsoft.com/token";
  std::string userinfo_url = "https://api.infusionsoft.com/crm/rest/v1/oauth/connect/userinfo";
  std::string credentials_file = "keap-credentials.json";
  TokenAuth token_auth = TokenAuth::keap;
  bool pkce = true;
  std::string ca_file;
  std::chrono::seconds refresh_token_lifetime{45 * 86400}; ///< Keap's refresh tokens live about 45 days
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{40}; ///< Keap's token endpoint takes tens of seconds when busy
  std::string tls_cert; ///< the https receiver's certificate; empty: a reusable self-signed one
  std::string tls_key;
  std::chrono::seconds pending_lifetime{600}; ///< how long `login --begin` waits for `--finish`

  std::string config_file; ///< the file that was read, or empty when none was
};

/// The values given on the command line; unset ones leave the lower layers alone.
struct ConfigFlags {
  std::optional<std::string> config_file;
  std::optional<std::string> credentials_file;
  std::optional<std::string> client_id;
  std::optional<std::string> client_secret_file;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
};

/// Reads one environment variable; a seam so tests need not change the process environment.
using EnvironmentLookup = std::function<std::optional<std::string>(const char* name)>;
EnvironmentLookup process_environment();

inline constexpr const char* k_default_config_file = "keap-auth.json";

/// Builds the configuration from its layers: flags > environment > config file > defaults, then
/// validates it. Relative paths in a config file are taken relative to that file's folder.
/// Throws Error (exit 2) naming the file or variable, the key and what is expected.
Config load_config(const ConfigFlags& flags, const EnvironmentLookup& environment);

/// Throws Error (exit 2) unless client_id and client_secret are both set, saying where to set them.
void require_client_credentials(const Config& config);

/// Parses a config file's text onto `config` (the file layer alone). Pure apart from the error it
/// throws; `origin` names the file in messages.
void apply_config_text(Config& config, const std::string& text, const std::string& origin);

/// Throws Error (exit 2) if a URL is malformed or an endpoint is plain http to a non-loopback host.
void validate_config(const Config& config);

std::string token_auth_name(TokenAuth auth);

} // namespace keap
