#include "core/config_keys.hpp"

#include "core/error.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <variant>

namespace keap {

namespace {

using nlohmann::json;
using Seconds = std::chrono::seconds;

/// A text key whose relative value in a file is taken relative to the file's folder.
struct PathField {
  std::string Config::*member;
};

using Field = std::variant<std::string Config::*, PathField, bool Config::*, TokenAuth Config::*, Seconds Config::*>;

struct Key {
  const char* name;
  Field field;
  const char* meaning;
  const char* environment = nullptr;   ///< the variable that overrides it, if any
  const char* flag = nullptr;          ///< the flag that overrides it, if any
  const char* default_value = nullptr; ///< when the default is found rather than fixed
  bool allow_zero = false;             ///< a duration of 0 means something ("do not wait")
  const char* flag_meaning = nullptr;  ///< what the flag means, when it differs from the key's meaning
};

// The config keys; anything else in a file is an error (a typo must never be ignored).
const Key k_keys[] = {
    {"client_id", &Config::client_id, "The OAuth client id of your app, from Keap's developer portal.",
     "KEAP_CLIENT_ID", "--client-id", "(none)"},
    {"client_secret", &Config::client_secret,
     "The app's client secret; better from the environment, --client-secret-file or systemd's LoadCredential= "
     "(keap-client-secret) than from a file others may read.",
     "KEAP_CLIENT_SECRET", "--client-secret-file", "(none)", false,
     "A file that holds only the client secret (never the secret itself in argv)."},
    {"redirect_uri", &Config::redirect_uri,
     "Where Keap sends the browser back; keap-auth listens there (register it with the app; port 0: any free port)."},
    {"scope", &Config::scope, "The scope asked for; Keap's only one is full."},
    {"authorize_url", &Config::authorize_url, "Keap's authorize page."},
    {"token_url", &Config::token_url, "Keap's token endpoint."},
    {"userinfo_url", &Config::userinfo_url, "Keap's userinfo endpoint, for whoami."},
    {"api_base_url", &Config::api_base_url, "Where `api` resolves v1/... and v2/... endpoints.", "KEAP_API_BASE_URL"},
    {"credentials_file", PathField{&Config::credentials_file}, "The default profile's credentials file.",
     "KEAP_CREDENTIALS", "--credentials",
     "keap-credentials.json beside a config named or found in the working folder, else in "
     "$XDG_STATE_HOME/keap-auth (or $STATE_DIRECTORY)",
     false, "The selected profile's credentials file."},
    {"credentials_dir", PathField{&Config::credentials_dir},
     "Where the other profiles' credentials live, as PROFILE.json (top level only).", "KEAP_CREDENTIALS_DIR", nullptr,
     "$XDG_STATE_HOME/keap-auth/credentials (or $STATE_DIRECTORY/credentials)"},
    {"token_auth", &Config::token_auth,
     "How the client authenticates at the token endpoint: keap (the secret in the body for the code, HTTP Basic for "
     "a refresh), client_secret_post or client_secret_basic."},
    {"pkce", &Config::pkce, "Send PKCE (S256) with a login; false for a server that refuses it."},
    {"ca_file", PathField{&Config::ca_file},
     "Extra CA certificates (PEM) trusted for the endpoints, besides the system's.", nullptr, nullptr, "(none)"},
    {"refresh_token_lifetime", &Config::refresh_token_lifetime,
     "How long a refresh token lives at the server (Keap: about 45 days); status and list judge its age by it."},
    {"connect_timeout", &Config::connect_timeout, "The longest wait to connect to an endpoint."},
    {"read_timeout", &Config::read_timeout, "The longest wait for an answer's head, and for each piece of its body."},
    {"refresh_deadline", &Config::refresh_deadline,
     "The longest a whole token exchange may take, its retries included."},
    {"lock_timeout", &Config::lock_timeout, "The longest wait for another process's refresh (0: do not wait).", nullptr,
     "--lock-timeout", "refresh_deadline + 30s", true},
    {"tls_cert", PathField{&Config::tls_cert}, "The https receiver's certificate (PEM), with tls_key.", nullptr,
     "--tls-cert", "a reusable self-signed certificate for localhost"},
    {"tls_key", PathField{&Config::tls_key}, "The https receiver's private key (PEM), with tls_cert.", nullptr,
     "--tls-key", "(that certificate's)"},
    {"pending_lifetime", &Config::pending_lifetime, "How long `login --begin` waits for `login --finish -`."},
    {"store_client_secret", &Config::store_client_secret,
     "Keep the client secret with the credentials; false: a refresh takes it from the configuration."},
    {"store", &Config::store, "Where credentials live: file or postgres.", "KEAP_STORE"},
    {"store_url", &Config::store_url, "The PostgreSQL store's libpq URL or keywords (never with a password).",
     "KEAP_STORE_URL", nullptr, "(none)"},
    {"store_passfile", PathField{&Config::store_passfile}, "The PostgreSQL password file (0600).", nullptr, nullptr,
     "libpq's own (PGPASSFILE, ~/.pgpass)"},
    {"store_key_file", PathField{&Config::store_key_file}, "The key file that seals the store's secrets (0600).",
     "KEAP_STORE_KEY_FILE", nullptr, "$CREDENTIALS_DIRECTORY/keap-auth-store-keys, else /etc/keap-auth/store.keys"},
    {"store_connect_timeout", &Config::store_connect_timeout, "The longest wait to connect to the database."},
    {"store_statement_timeout", &Config::store_statement_timeout, "The longest wait for one statement.", nullptr,
     nullptr, "lock_timeout + 5s"},
    {"store_tcp_user_timeout", &Config::store_tcp_user_timeout,
     "How long unacknowledged data may wait before the database's connection counts as dead."},
    {"store_require_tls", &Config::store_require_tls,
     "The lowest sslmode accepted for a database off loopback: require, verify-ca or verify-full."},
    {"store_journal_dir", PathField{&Config::store_journal_dir}, "Where new pairs are journaled before each COMMIT.",
     nullptr, nullptr, "$XDG_STATE_HOME/keap-auth/journal"},
    {"store_journal_retention", &Config::store_journal_retention, "How long a committed journal is kept."},
    {"store_cache", &Config::store_cache, "Keep the access token on this host for `token`, without asking the store."},
    {"store_cache_dir", PathField{&Config::store_cache_dir}, "Where the access-token cache lives.", nullptr, nullptr,
     "$XDG_CACHE_HOME/keap-auth/tokens"},
    {"store_cache_ttl", &Config::store_cache_ttl,
     "How long a cached token is served without asking the store: a change on another host is seen within it."},
    {"failure_cooldown", &Config::failure_cooldown,
     "How long `refresh --all` leaves a credential whose refresh failed (--force tries at once)."},
};

const Key* find_key(const std::string& name) {
  auto key = std::find_if(std::begin(k_keys), std::end(k_keys), [&](const Key& k) { return name == k.name; });
  return key == std::end(k_keys) ? nullptr : key;
}

Error config_error(const std::string& origin, const std::string& message, std::string hint = {}) {
  return Error(ExitCode::usage, origin + ": " + message, std::move(hint));
}

std::string suggestion_for(const std::string& unknown) {
  auto names = config_key_names();
  names.insert(names.end(), {"profile", "profiles", "agent"});
  auto best = util::nearest(unknown, names);
  return best ? "did you mean \"" + *best + "\"?" : "see keap-auth.example.json for the keys";
}

/// How a key's value is written in a config file (durations with their unit; a secret as "[set]").
std::string shown(const Config& config, const Key& key) {
  return std::visit(
      [&](auto member) -> std::string {
        using Member = decltype(member);
        if constexpr (std::is_same_v<Member, std::string Config::*>) {
          return config.*member;
        } else if constexpr (std::is_same_v<Member, PathField>) {
          return config.*member.member;
        } else if constexpr (std::is_same_v<Member, bool Config::*>) {
          return config.*member ? "true" : "false";
        } else if constexpr (std::is_same_v<Member, TokenAuth Config::*>) {
          return token_auth_name(config.*member);
        } else {
          return util::format_exact_duration(config.*member);
        }
      },
      key.field);
}

/// What a flag for the key takes, as --help shows it.
std::string value_name(const Key& key) {
  if (std::string_view(key.name) == "client_secret") {
    return "FILE"; // the secret never goes on a command line: its flag names the file that holds it
  }
  return std::visit(
      [](auto member) -> std::string {
        using Member = decltype(member);
        if constexpr (std::is_same_v<Member, PathField>) {
          return "FILE";
        } else if constexpr (std::is_same_v<Member, Seconds Config::*>) {
          return "DUR";
        } else if constexpr (std::is_same_v<Member, bool Config::*>) {
          return "true|false";
        } else {
          return "VALUE";
        }
      },
      key.field);
}

/// "postgresql://user:secret@host/..." or a keyword string with password=: text for libpq, judged
/// without it (the light executable has no libpq).
bool holds_password(const std::string& url) {
  auto lower = util::lower(url);
  if (lower.find("password") != std::string::npos) {
    return true;
  }
  auto scheme = lower.find("://");
  if (scheme == std::string::npos) {
    return false;
  }
  auto authority = lower.substr(scheme + 3, lower.find_first_of("/?", scheme + 3) - (scheme + 3));
  auto at = authority.rfind('@');
  return at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
}

} // namespace

std::vector<KeyDescription> key_descriptions() {
  Config defaults;
  std::vector<KeyDescription> keys;
  for (const auto& key : k_keys) {
    keys.push_back({key.name, key.environment ? key.environment : "", key.flag ? key.flag : "", key.meaning,
                    key.default_value ? key.default_value : shown(defaults, key), value_name(key),
                    key.flag_meaning ? key.flag_meaning : ""});
  }
  keys.push_back({"profile", "KEAP_PROFILE", "--profile",
                  "The profile used when no flag or variable names one (a name of letters, digits, . _ and -).",
                  "default", "NAME", ""});
  keys.push_back({"profiles", "", "",
                  "An object of profile names, each with any of the keys above but credentials_dir and agent (top "
                  "level only).",
                  "(none)", "", ""});
  keys.push_back({"agent", "", "", "An object of `keap-auth agent`'s settings (their table follows; top level only).",
                  "(none)", "", ""});
  return keys;
}

bool is_config_key(const std::string& name) { return find_key(name) != nullptr; }

std::optional<std::string> key_of_flag(const std::string& flag) {
  for (const auto& key : k_keys) {
    if (key.flag != nullptr && flag == key.flag) {
      return key.name;
    }
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> environment_variables() {
  std::vector<std::pair<std::string, std::string>> variables;
  for (const auto& key : k_keys) {
    if (key.environment != nullptr) {
      variables.emplace_back(key.name, key.environment);
    }
  }
  return variables;
}

void apply_json_value(Config& config, const std::string& name, const json& value, const std::string& origin,
                      const std::filesystem::path& base) {
  const auto* key = find_key(name);
  if (key == nullptr) {
    throw config_error(origin, "unknown key \"" + name + "\"", suggestion_for(name));
  }
  auto text_of = [&] {
    if (!value.is_string()) {
      throw config_error(origin, "key \"" + name + "\" must be a string, not " + value.type_name());
    }
    return value.get<std::string>();
  };
  std::visit(
      [&](auto member) {
        using Member = decltype(member);
        if constexpr (std::is_same_v<Member, PathField>) {
          auto text = text_of();
          if (!text.empty() && std::filesystem::path(text).is_relative()) {
            text = (base / text).lexically_normal().string();
          }
          config.*member.member = std::move(text);
        } else if constexpr (std::is_same_v<Member, bool Config::*>) {
          if (!value.is_boolean()) {
            throw config_error(origin, "key \"" + name + "\" must be true or false, not " + value.type_name());
          }
          config.*member = value.get<bool>();
        } else if constexpr (std::is_same_v<Member, Seconds Config::*>) {
          auto duration = value.is_string() ? util::parse_duration(value.get<std::string>()) : std::nullopt;
          if (!duration || (duration->count() == 0 && !key->allow_zero)) {
            throw config_error(origin, "key \"" + name + "\" must be a " + (key->allow_zero ? "" : "positive ") +
                                           "duration: " + std::string(util::k_duration_forms) + ", not " +
                                           util::dump_json(value));
          }
          config.*member = *duration;
        } else {
          apply_text_value(config, name, text_of(), origin + ": key \"" + name + "\"");
        }
      },
      key->field);
  config.origins[name] = origin;
}

void apply_text_value(Config& config, const std::string& name, const std::string& text, const std::string& origin) {
  const auto* key = find_key(name);
  if (key == nullptr) {
    throw Error(ExitCode::failure, "internal error: no config key " + name);
  }
  auto value = checked_text(origin, text);
  std::visit(
      [&](auto member) {
        using Member = decltype(member);
        if constexpr (std::is_same_v<Member, std::string Config::*>) {
          config.*member = value;
        } else if constexpr (std::is_same_v<Member, PathField>) {
          config.*member.member = value;
        } else if constexpr (std::is_same_v<Member, bool Config::*>) {
          if (value != "true" && value != "false") {
            throw Error(ExitCode::usage,
                        origin + " must be true or false, not \"" + util::printable_excerpt(value, 40) + "\"");
          }
          config.*member = value == "true";
        } else if constexpr (std::is_same_v<Member, TokenAuth Config::*>) {
          auto auth = parse_token_auth(value);
          if (!auth) {
            throw Error(ExitCode::usage, origin +
                                             " must be \"keap\", \"client_secret_post\" or "
                                             "\"client_secret_basic\", not \"" +
                                             util::printable_excerpt(value, 40) + "\"");
          }
          config.*member = *auth;
        } else {
          config.*member = duration_value(origin, value, key->allow_zero);
        }
      },
      key->field);
}

std::vector<ConfigEntry> config_entries(const Config& config) {
  std::vector<ConfigEntry> entries;
  for (const auto& key : k_keys) {
    ConfigEntry entry{key.name, shown(config, key), config.origin_of(key.name), key.environment ? key.environment : ""};
    if (entry.key == "client_secret" && !entry.value.empty()) {
      entry.value = "[set]";
    }
    // A password in store_url is refused when the store opens; it must not be shown back either.
    if (entry.key == "store_url" && holds_password(entry.value)) {
      entry.value = "[set; it holds a password, which is refused: use store_passfile]";
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string checked_text(const std::string& origin, std::string value) {
  if (auto offset = util::invalid_utf8_offset(value)) {
    throw Error(ExitCode::usage, origin + " is not valid UTF-8 (byte " + std::to_string(*offset + 1) + ")",
                "keap-auth takes only UTF-8 text in names, paths and ids");
  }
  return value;
}

std::vector<std::string> config_key_names() {
  std::vector<std::string> names;
  for (const auto& key : k_keys) {
    names.emplace_back(key.name);
  }
  return names;
}

std::chrono::seconds duration_value(const std::string& origin, const std::string& text, bool allow_zero) {
  auto duration = util::parse_duration(text);
  if (!duration || (!allow_zero && duration->count() == 0)) {
    throw Error(ExitCode::usage,
                origin + " \"" + util::printable_excerpt(text, 40) + "\" is not a " + (allow_zero ? "" : "positive ") +
                    "duration",
                "use " + std::string(util::k_duration_forms));
  }
  return *duration;
}

} // namespace keap
