#pragma once

#include "cli/command.hpp"
#include "net/http_client.hpp"
#include "oauth/refresh.hpp"
#include "store/credential_store.hpp"
#include "store/rescue.hpp"

#include <memory>
#include <string>

/// What commands share: the configuration, the store and the HTTP client a command works with, built in
/// one place from the configuration.
namespace keap::cli {

/// The libraries' settings from a profile's configuration; the only place they are built.
net::HttpOptions http_options(const Config& config, bool verbose);
net::RetryPolicy retry_policy(const Config& config);
oauth::RefreshSettings refresh_settings(const Config& config, const util::EnvironmentLookup& environment);

/// What every command that touches credentials builds from the command line: the configuration, the
/// store and the profile in it, one HTTP client, and the environment.
struct Context {
  std::shared_ptr<const ConfigSource> source; ///< the layers, for other profiles' values (list, --all)
  Config config;                              ///< the selected profile's
  std::unique_ptr<store::CredentialStore> store;
  std::string profile;
  std::unique_ptr<net::HttpClient> http;
  util::EnvironmentLookup environment;
  bool verbose = false;
  bool quiet = false;

  oauth::RefreshSettings refresh_settings() const { return cli::refresh_settings(config, environment); }
  net::RetryPolicy retry_policy() const { return cli::retry_policy(config); }

  /// What a command reports as it goes, unless --quiet.
  void say(const std::string& message) const;
  /// What was not done, say: shown only with --verbose (a daily cron job must print nothing then).
  void note(const std::string& message) const;
  /// A warning, unless --quiet.
  void warn(const std::string& message) const;
  void warn_all(const std::vector<std::string>& warnings) const;

  /// The credential to use: KEAP_API_KEY's key when it is set (never stored), else the store's.
  /// Error (exit 4) when there is none.
  Credential credential() const;
  /// True when KEAP_API_KEY supplies the credential.
  bool key_from_environment() const;
  /// The key to use (KEAP_API_KEY's, or the store's), or nothing when the store holds a grant or nothing.
  std::optional<ApiKey> key() const;

  /// The credentials file's absolute path, for --json and messages.
  std::string credentials_path() const;
  /// Error (exit 2) unless `credential` may be sent to `url`, which config `key` names
  /// (core/destinations.hpp): a working-folder config may not send it where it does not belong.
  void check_destination(const std::string& key, const util::Url& url, const Credential& credential) const;
  /// When the profile has no credential and is not one the store or the config knows: "there is no
  /// profile \"acm\": did you mean `--profile acme`?" (when one is close), for a mistyped name.
  std::optional<std::string> unknown_profile_hint() const;

  /// Rescue files that hold a newer credential for this profile than the store, newest first.
  std::vector<store::PendingRescue> pending_rescues() const;
  /// "a rescue file holds a newer pair than the store: X; put it in place: mv X Y", one per file.
  std::vector<std::string> rescue_advice() const;
};

/// Loads the configuration and opens the store. Prints the configuration's warnings (a secret others
/// may read), unless --quiet.
Context open_context(const GlobalOptions& global);

/// The differences between the client the config names and the one stored with `grant`, said so the
/// person knows which one a refresh uses and why (the stored one: the grant belongs to it).
void explain_client_differences(const Context& context, const OAuthGrant& grant, bool use_config_client);

/// The client the config names, for `--use-config-client` (Error, exit 2, without a client secret).
oauth::TokenEndpoint config_client(const Config& config);

} // namespace keap::cli
