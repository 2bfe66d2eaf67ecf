#include "support/pg_setup.hpp"

#include "util/timestamp.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>

namespace keap::test {

std::map<std::string, std::string> Host::env() const {
  return {{"HOME", home.path()},
          {"XDG_STATE_HOME", home.file("state")},
          {"XDG_CACHE_HOME", home.file("cache")},
          {"XDG_CONFIG_HOME", home.file("config")}};
}

std::map<std::string, std::string> Host::files() const {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(home.path())) {
    if (entry.is_regular_file()) {
      files[entry.path().string()] = read_file(entry.path().string());
    }
  }
  return files;
}

PgSetup::PgSetup(size_t host_count, emulator::Settings settings, nlohmann::json extra, emulator::RestSettings rest)
    : emulator(std::move(settings), std::move(rest)) {
  cluster.create_database("keap");
  key_file = dir.file("store.keys");
  nlohmann::json store = {{"store", "postgres"},
                          {"store_url", cluster.url("keap")},
                          {"store_passfile", cluster.passfile()},
                          {"store_key_file", key_file}};
  if (extra.is_object()) {
    store.update(extra);
  }
  config = write_config(dir, emulator, store);
  for (size_t at = 0; at < host_count; ++at) {
    hosts.push_back(std::make_unique<Host>());
  }
  auto key = keap({"store", "key", "generate"});
  REQUIRE(key.exit_code == 0);
  auto init = keap({"store", "init"});
  INFO(init.err);
  REQUIRE(init.exit_code == 0);
}

ProcessResult PgSetup::keap(std::vector<std::string> arguments, size_t host, std::map<std::string, std::string> env) {
  arguments.insert(arguments.begin(), keap_auth());
  arguments.insert(arguments.end(), {"--config", config});
  env.merge(hosts.at(host)->env());
  return run(arguments, env);
}

std::unique_ptr<Process> PgSetup::start(std::vector<std::string> arguments, size_t host,
                                        std::map<std::string, std::string> env) {
  arguments.insert(arguments.begin(), keap_auth());
  arguments.insert(arguments.end(), {"--config", config});
  env.merge(hosts.at(host)->env());
  return std::make_unique<Process>(arguments, env);
}

OAuthGrant PgSetup::seed(const std::string& profile, std::chrono::seconds access_left,
                         std::chrono::seconds refresh_age) {
  auto file = dir.file("seed-" + profile + ".json");
  auto grant = seed_credentials(emulator, file, access_left, refresh_age);
  auto imported = keap({"store", "import", "--profile", profile, "--from", file});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  REQUIRE_FALSE(file_exists(file));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().starts_with("seed-" + profile + ".json.imported-")) {
      std::filesystem::remove(entry.path()); // the retired file holds the (now shared) refresh token
    }
  }
  return grant;
}

OAuthGrant PgSetup::grant(const std::string& profile) {
  static std::atomic<int> exports{0};
  auto file = dir.file("export-" + std::to_string(exports++) + ".json");
  auto exported = keap({"store", "export", "--keep", "--profile", profile, "--to", file});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto grant = load_grant(file);
  std::filesystem::remove(file);
  return grant;
}

long long PgSetup::generation(const std::string& profile) {
  auto text = sql("select generation from keap_auth.credentials where profile = '" + profile + "'");
  REQUIRE_FALSE(text.empty());
  return std::stoll(text);
}

void PgSetup::use_store_url(const std::string& url) {
  auto json = nlohmann::json::parse(read_file(config));
  json["store_url"] = url;
  write_file(config, json.dump(2), 0600);
}

std::string PgSetup::sql(const std::string& statement) { return cluster.query(statement, "keap"); }

void PgSetup::require_consistent(const std::string& profile, long long expected_generation) {
  auto held = grant(profile);
  CHECK(emulator.server.state().refresh_token_valid(held.refresh_token, util::now_seconds()));
  CHECK(generation(profile) == expected_generation);
  auto dump = cluster.dump("keap");
  CHECK(dump.find(held.refresh_token) == std::string::npos);
  CHECK(dump.find(held.access_token) == std::string::npos);
  CHECK(dump.find(k_client_secret) == std::string::npos);
  for (const auto& host : hosts) {
    for (const auto& [path, content] : host->files()) {
      INFO("on disk: " << path);
      if (path.find(".rescue-") != std::string::npos) {
        // A grant kept aside (a refused login): it is in no store, so only this private file holds it.
        CHECK(file_mode(path) == 0600);
        continue;
      }
      CHECK(content.find(held.refresh_token) == std::string::npos);
      CHECK(content.find(k_client_secret) == std::string::npos);
    }
  }
  CHECK(read_file(config).find(held.refresh_token) == std::string::npos);
}

} // namespace keap::test
