#pragma once

#include "support/fixtures.hpp"
#include "support/postgres.hpp"

#include <memory>
#include <string>
#include <vector>

namespace keap::test {

/// One machine that uses the shared store: its own HOME, state folder (journals) and cache folder
/// (the token cache), as separate hosts would have.
struct Host {
  TempDir home;
  std::map<std::string, std::string> env() const;
  /// Every file under the host's folders and what it holds (what "no secret on disk" searches).
  std::map<std::string, std::string> files() const;
};

/// A throwaway PostgreSQL cluster with a `keap` database, an emulator, a config with "store": "postgres"
/// pointing at both, a key file, and `hosts` hosts; the store initialised by the first.
struct PgSetup {
  explicit PgSetup(size_t hosts = 1, emulator::Settings settings = emulator_settings(), nlohmann::json extra = {},
                   emulator::RestSettings rest = {});

  /// keap-auth ARGUMENTS --config CONFIG on host `host`, to completion.
  ProcessResult keap(std::vector<std::string> arguments, size_t host = 0, std::map<std::string, std::string> env = {});
  std::unique_ptr<Process> start(std::vector<std::string> arguments, size_t host = 0,
                                 std::map<std::string, std::string> env = {});
  /// A grant minted by the emulator (access token good for `access_left`), imported as `profile`.
  OAuthGrant seed(const std::string& profile, std::chrono::seconds access_left,
                  std::chrono::seconds refresh_age = std::chrono::seconds(0));
  /// The grant the store holds for `profile`, read through `store export --keep`.
  OAuthGrant grant(const std::string& profile = "default");
  long long generation(const std::string& profile = "default");
  /// Points the config's store_url elsewhere (a TcpProxy in front of the cluster: cluster.url("keap", port)).
  void use_store_url(const std::string& url);
  /// SQL against the keap database.
  std::string sql(const std::string& statement);
  /// The checks every test ends with: the store's refresh token is the emulator's live one (the last it
  /// issued), the generation is `generation`, and no token or the client secret is in a dump of the
  /// database or (but for the access-token cache) on any host's disk. Fails the test (REQUIREs) when not.
  void require_consistent(const std::string& profile, long long generation);

  PostgresCluster cluster;
  Emulator emulator;
  TempDir dir;
  std::string config;
  std::string key_file;
  std::vector<std::unique_ptr<Host>> hosts;
};

} // namespace keap::test
