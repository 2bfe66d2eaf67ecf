#pragma once

#include "core/defaults.hpp"
#include "core/profile.hpp"
#include "core/token_auth.hpp"
#include "util/environment.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace keap {

using util::EnvironmentLookup;

/// Everything a command needs to know about the client and the server, after every layer is applied.
/// The defaults here are the only place each default is stated.
struct Config {
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri = "http://localhost:8765/callback";
  std::string scope = "full";
  std::string authorize_url = "https://accounts.infusionsoft.com/app/oauth/authorize";
  std::string token_url = "https://api.infusionsoft.com/token";
  std::string userinfo_url = "https://api.infusionsoft.com/crm/rest/v1/oauth/connect/userinfo";
  std::string api_base_url = "https://api.infusionsoft.com/crm/rest"; ///< where `api` resolves v1/... and v2/...
  /// The profile these values are for: --profile > KEAP_PROFILE > the file's "profile" > "default".
  std::string profile = k_default_profile;
  /// The profile's credentials. Unless a layer names it: for the default profile keap-credentials.json
  /// beside the config file when one was read, else in $XDG_STATE_HOME/keap-auth; for any other profile
  /// credentials_dir/PROFILE.json. Never relative to the working folder, which differs under cron and
  /// systemd.
  std::string credentials_file;
  /// Where profiles without a credentials_file of their own live: $XDG_STATE_HOME/keap-auth/credentials.
  std::string credentials_dir;
  /// Every profile the config file or the command line names, with the file its credentials live in
  /// (the default profile's too), so a store can find them all.
  std::map<std::string, std::string> profile_files;
  TokenAuth token_auth = TokenAuth::keap;
  bool pkce = true;
  std::string ca_file;
  std::chrono::seconds refresh_token_lifetime{45 * 86400}; ///< Keap's refresh tokens live about 45 days
  std::chrono::seconds connect_timeout = defaults::connect_timeout;
  std::chrono::seconds read_timeout = defaults::read_timeout;
  std::chrono::seconds refresh_deadline = defaults::refresh_deadline; ///< a token exchange, retries included
  /// The longest wait for another process's refresh. Unless set, refresh_deadline + lock_margin.
  std::chrono::seconds lock_timeout = defaults::lock_timeout;
  std::string tls_cert; ///< the https receiver's certificate; empty: a reusable self-signed one
  std::string tls_key;
  std::chrono::seconds pending_lifetime{600}; ///< how long `login --begin` waits for `--finish`
  /// false: the client secret is left out of the credentials file (a refresh then takes it from the
  /// config or the environment), for those who keep it in a vault.
  bool store_client_secret = true;

  // The shared PostgreSQL store (design/store.md section 12).
  std::string store = "file"; ///< file | postgres
  std::string store_url;      ///< libpq URI or keyword string; never with a password
  std::string store_passfile; ///< empty: libpq's own (PGPASSFILE, ~/.pgpass); must be 0600
  std::string
      store_key_file; ///< the keyring; /etc/keap-auth/store.keys, or $CREDENTIALS_DIRECTORY/keap-auth-store-keys
  std::chrono::seconds store_connect_timeout{5};
  std::chrono::seconds store_statement_timeout{0}; ///< 0: lock_timeout + 5 s
  std::chrono::seconds store_tcp_user_timeout{20};
  std::string store_require_tls = "verify-full"; ///< the lowest sslmode accepted off loopback
  std::string store_journal_dir;                 ///< $XDG_STATE_HOME/keap-auth/journal
  std::chrono::seconds store_journal_retention{86400};
  bool store_cache = true;     ///< the access-token-only cache for `token`
  std::string store_cache_dir; ///< $XDG_CACHE_HOME/keap-auth/tokens
  /// How long a cached token is served without asking the store again: a login, an export or a refresh
  /// on another host is seen within this.
  std::chrono::seconds store_cache_ttl{60};
  std::chrono::seconds failure_cooldown{600}; ///< `refresh --all` skips a credential that failed this recently

  /// The file's "agent" object as written (an object; empty when absent): `keap-auth agent` reads and
  /// checks its keys (agent/settings.hpp).
  nlohmann::json agent = nlohmann::json::object();

  std::string config_file; ///< the file that was read, or empty when none was
  /// True when that file is in the working folder or below it, where a cloned repository could have put
  /// it: what it says about where credentials go is then trusted only for its own credentials
  /// (core/destinations.hpp).
  bool config_in_working_folder = false;
  /// Where each key's value came from, for keys some layer set: "--client-id", "KEAP_CLIENT_ID",
  /// "/etc/keap-auth/config.json"; keys left at their defaults are absent.
  std::map<std::string, std::string> origins;
  /// True when credentials_file is the XDG default, whose folders may be created as the spec says.
  bool credentials_in_state_home = false;
  /// True when credentials_dir is the XDG default (the same).
  bool credentials_dir_in_state_home = false;
  /// What the reader should be told: a secret in a file others may read, say.
  std::vector<std::string> warnings;

  /// Where `key` came from, or "default".
  std::string origin_of(const std::string& key) const;
};

/// One config key's value given on the command line.
struct FlagValue {
  std::string key;  ///< the config key it sets: "lock_timeout"
  std::string flag; ///< the flag that gave it, for messages and origins: "--lock-timeout"
  std::string text; ///< as given (for client_secret: the file that holds it)
};

/// What the command line says of the configuration; what it leaves unsaid leaves the lower layers alone.
struct ConfigFlags {
  std::optional<std::string> config_file; ///< --config
  std::optional<std::string> profile;     ///< --profile
  std::vector<FlagValue> values;          ///< config keys' flags, in the order given

  /// The value given for config key `key`, or nothing.
  const FlagValue* find(const std::string& key) const;
  /// Gives `key` the value `text` (a later flag replaces an earlier one).
  void set(const std::string& key, const std::string& flag, const std::string& text);
};

inline constexpr const char* k_default_config_file = "keap-auth.json";

/// The configuration's layers, read once: the flags, the environment and the config file (its top level
/// and its "profiles"). Throws Error (exit 2) naming the file, variable or flag, the key and what is
/// expected, for any profile's mistake, not only the selected one's.
class ConfigSource {
public:
  ConfigSource(ConfigFlags flags, EnvironmentLookup environment);

  /// --profile > KEAP_PROFILE > the file's "profile" > "default".
  const std::string& selected_profile() const { return m_selected; }
  /// The config file that was read, or empty when none was.
  const std::string& file() const { return m_file; }
  /// The profiles the config file's "profiles" names.
  std::vector<std::string> configured_profiles() const;

  /// The values for `profile`: flags > environment > the profile's values > the file's top level >
  /// defaults, then validated. Relative paths in a config file are taken relative to its folder. The
  /// top level's credentials_file is the default profile's, and --credentials and KEAP_CREDENTIALS are
  /// the selected profile's: no two profiles ever share a file.
  Config for_profile(const std::string& profile) const;

private:
  // The layers, lowest first; each applies what it says on top of what the ones before left.
  void apply_file(Config& config) const;
  void apply_environment(Config& config) const;
  /// systemd's LoadCredential=keap-client-secret:PATH, delivered to the unit alone.
  void apply_delivered_secret(Config& config) const;
  void apply_flags(Config& config) const;
  /// What no layer said but others imply: lock_timeout, the credentials' and the store's places.
  void complete(Config& config) const;

  /// A profile's credentials file as the layers name it (flags and environment only for the selected
  /// profile), or nothing when none does.
  std::optional<std::string> credentials_file_of(const std::string& profile) const;
  /// Where a profile's credentials go when no layer says: beside the config or in the XDG state folder
  /// for the default profile, credentials_dir/PROFILE.json for the others.
  std::optional<std::string> default_file_of(const std::string& profile, const Config& config) const;
  /// credentials_dir, the profile's credentials_file and profile_files, from what the layers left.
  void complete_locations(Config& config) const;
  /// The PostgreSQL store's local folders, key file and derived timeout.
  void complete_store_locations(Config& config) const;

  ConfigFlags m_flags;
  EnvironmentLookup m_environment;
  std::string m_file;               ///< the config file read, or empty
  bool m_file_is_local = false;     ///< named, or ./keap-auth.json: the default credentials go beside it
  bool m_in_working_folder = false; ///< see Config::config_in_working_folder
  nlohmann::json m_document;        ///< its object, or an empty one
  std::string m_selected;
};

/// ConfigSource(flags, environment).for_profile(its selected profile).
Config load_config(const ConfigFlags& flags, const EnvironmentLookup& environment);

/// Throws Error (exit 2) unless client_id and client_secret are both set, saying where to set them.
void require_client_credentials(const Config& config);

/// Parses a config file's text onto `config` (the file's top level alone; every profile in it is checked
/// too). Pure apart from the error it throws; `origin` names the file in messages.
void apply_config_text(Config& config, const std::string& text, const std::string& origin);

/// Throws Error (exit 2) if a URL is malformed or an endpoint is plain http to a non-loopback host.
void validate_config(const Config& config);

/// The ssh-style warning for a file holding a secret that group or others may read, or nothing.
std::optional<std::string> loose_permissions_warning(const std::string& path, const std::string& what);

/// Where a config file is looked for when none is named, in order: ./keap-auth.json,
/// CONFIG_HOME/keap-auth/config.json, /etc/keap-auth/config.json.
std::vector<std::string> config_search_path(const util::EnvironmentLookup& environment);

} // namespace keap
