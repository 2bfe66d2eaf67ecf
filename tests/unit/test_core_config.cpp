#include "core/config.hpp"
#include "core/config_keys.hpp"
#include "core/error.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

using namespace keap;
using namespace keap::util;
using keap::test::TempDir;
using keap::test::write_file;

namespace {

EnvironmentLookup environment(std::map<std::string, std::string> variables) {
  return [variables](const char* name) -> std::optional<std::string> {
    auto found = variables.find(name);
    return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    REQUIRE(error.code() == ExitCode::usage);
    return error.what();
  }
  FAIL("no error thrown");
  return {};
}

} // namespace

TEST_CASE("core::config: defaults are Keap's", "[config]") {
  TempDir dir;
  ConfigFlags flags;
  flags.config_file = dir.file("empty.json");
  write_file(*flags.config_file, "{}");
  auto config = load_config(flags, environment({}));
  REQUIRE(config.redirect_uri == "http://localhost:8765/callback");
  REQUIRE(config.scope == "full");
  REQUIRE(config.authorize_url == "https://accounts.infusionsoft.com/app/oauth/authorize");
  REQUIRE(config.token_url == "https://api.infusionsoft.com/token");
  REQUIRE(config.userinfo_url == "https://api.infusionsoft.com/crm/rest/v1/oauth/connect/userinfo");
  REQUIRE(config.token_auth == TokenAuth::keap);
  REQUIRE(config.pkce);
}

TEST_CASE("core::config: flags > environment > file > defaults", "[config]") {
  TempDir dir;
  auto file = dir.file("keap-auth.json");
  write_file(file, R"({"client_id": "from-file", "client_secret": "file-secret", "credentials_file": "creds.json",
                       "scope": "full", "pkce": false, "token_auth": "client_secret_post"})");
  write_file(dir.file("secret"), "flag-secret\n");

  ConfigFlags flags;
  flags.config_file = file;
  auto from_file = load_config(flags, environment({}));
  REQUIRE(from_file.client_id == "from-file");
  REQUIRE(from_file.client_secret == "file-secret");
  REQUIRE(from_file.credentials_file == dir.path() + "/creds.json"); // relative to the config file
  REQUIRE_FALSE(from_file.pkce);
  REQUIRE(from_file.token_auth == TokenAuth::client_secret_post);

  auto env = environment(
      {{"KEAP_CLIENT_ID", "from-env"}, {"KEAP_CLIENT_SECRET", "env-secret"}, {"KEAP_CREDENTIALS", "env-creds.json"}});
  auto from_env = load_config(flags, env);
  REQUIRE(from_env.client_id == "from-env");
  REQUIRE(from_env.client_secret == "env-secret");
  REQUIRE(from_env.credentials_file == "env-creds.json");

  flags.set("client_id", "--client-id", "from-flag");
  flags.set("client_secret", "--client-secret-file", dir.file("secret"));
  flags.set("credentials_file", "--credentials", "flag-creds.json");
  auto from_flags = load_config(flags, env);
  REQUIRE(from_flags.client_id == "from-flag");
  REQUIRE(from_flags.client_secret == "flag-secret");
  REQUIRE(from_flags.credentials_file == "flag-creds.json");
}

TEST_CASE("core::config: KEAP_AUTH_CONFIG names the file and --config beats it", "[config]") {
  TempDir dir;
  write_file(dir.file("a.json"), R"({"client_id": "a"})");
  write_file(dir.file("b.json"), R"({"client_id": "b"})");
  ConfigFlags flags;
  REQUIRE(load_config(flags, environment({{"KEAP_AUTH_CONFIG", dir.file("a.json")}})).client_id == "a");
  flags.config_file = dir.file("b.json");
  REQUIRE(load_config(flags, environment({{"KEAP_AUTH_CONFIG", dir.file("a.json")}})).client_id == "b");
  flags.config_file.reset();
  auto missing = error_of([&] { load_config(flags, environment({{"KEAP_AUTH_CONFIG", dir.file("none.json")}})); });
  REQUIRE(missing.find("config file " + dir.file("none.json") + " does not exist") != std::string::npos);
}

TEST_CASE("core::config: a config file that cannot be read is an error, never silently skipped", "[config]") {
  TempDir dir;
  ConfigFlags flags;
  flags.config_file = dir.path();
  REQUIRE(error_of([&] { load_config(flags, environment({})); }).find("a folder, not a regular file") !=
          std::string::npos);
  flags.config_file = dir.file(std::string(300, 'c') + ".json");
  REQUIRE(error_of([&] { load_config(flags, environment({})); }).find("File name too long") != std::string::npos);
  flags.config_file = "/dev/zero";
  REQUIRE(error_of([&] { load_config(flags, environment({})); }).find("a device") != std::string::npos);
  // The default ./keap-auth.json is optional, but one that exists and cannot be read is reported.
  auto previous = std::filesystem::current_path();
  std::filesystem::create_directory(dir.file("keap-auth.json"));
  std::filesystem::current_path(dir.path());
  std::string message = error_of([&] { load_config({}, environment({})); });
  std::filesystem::current_path(previous);
  REQUIRE(message.find("keap-auth.json") != std::string::npos);
}

TEST_CASE("core::config: values from the environment and flags must be UTF-8", "[config][utf8]") {
  TempDir dir;
  write_file(dir.file("c.json"), "{}");
  ConfigFlags flags;
  flags.config_file = dir.file("c.json");
  REQUIRE(error_of([&] {
            load_config(flags, environment({{"KEAP_CLIENT_ID", "id\xff"}}));
          }) == "KEAP_CLIENT_ID is not valid UTF-8 (byte 3)");
  flags.set("credentials_file", "--credentials", "x\xff.json");
  REQUIRE(error_of([&] { load_config(flags, environment({})); }).find("--credentials is not valid UTF-8") !=
          std::string::npos);
}

TEST_CASE("core::config: a secret file holds one line", "[config]") {
  TempDir dir;
  write_file(dir.file("c.json"), "{}");
  ConfigFlags flags;
  flags.config_file = dir.file("c.json");
  flags.set("client_secret", "--client-secret-file", dir.file("secret"));
  write_file(dir.file("secret"), "s3cret\r\n");
  REQUIRE(load_config(flags, environment({})).client_secret == "s3cret");
  write_file(dir.file("secret"), "s3cret\nsomething else\n");
  REQUIRE(error_of([&] { load_config(flags, environment({})); }).find("holds more than one line") != std::string::npos);
  flags.set("client_secret", "--client-secret-file", dir.path());
  REQUIRE(error_of([&] { load_config(flags, environment({})); }).find("a folder, not a regular file") !=
          std::string::npos);
}

TEST_CASE("core::config: the lock wait outlasts the longest exchange a holder may make", "[config][lock]") {
  Config defaults;
  REQUIRE(defaults.lock_timeout > defaults.refresh_deadline);
  REQUIRE(defaults.refresh_deadline >= defaults.connect_timeout + 2 * defaults.read_timeout);
  Config config;
  apply_config_text(config, R"({"refresh_deadline": "200s"})", "c.json");
  REQUIRE(config.lock_timeout == std::chrono::seconds(230));
  apply_config_text(config, R"({"refresh_deadline": "200s", "lock_timeout": "10s"})", "c.json");
  REQUIRE(config.lock_timeout == std::chrono::seconds(10));
}

TEST_CASE("core::config: each error names the file, the key and what is expected", "[config]") {
  Config config;
  auto apply = [&](const std::string& text) { apply_config_text(config, text, "/etc/keap/prod.json"); };
  REQUIRE(error_of([&] { apply(R"({"redirect_url": "x"})"); }) == "/etc/keap/prod.json: unknown key \"redirect_url\"");
  REQUIRE(error_of([&] { apply(R"({"pkce": "yes"})"); }) ==
          "/etc/keap/prod.json: key \"pkce\" must be true or false, not string");
  REQUIRE(error_of([&] { apply(R"({"client_id": 42})"); }) ==
          "/etc/keap/prod.json: key \"client_id\" must be a string, not number");
  REQUIRE(error_of([&] { apply(R"({"token_auth": "basic"})"); }).find("must be \"keap\"") != std::string::npos);
  REQUIRE(error_of([&] { apply("{\n\"client_id\": \"x\",\n}"); }) ==
          "/etc/keap/prod.json: not valid JSON at line 3, column 1");
  REQUIRE(error_of([&] { apply("[1]"); }) == "/etc/keap/prod.json: must hold a JSON object, not array");
  REQUIRE(error_of([&] { apply(R"({"client_id": 8888e888888888888})"); }) ==
          "/etc/keap/prod.json: not valid JSON: a number is out of range");
  REQUIRE(error_of([&] { apply(R"({"read_timeout": "soon"})"); }) ==
          "/etc/keap/prod.json: key \"read_timeout\" must be a positive duration: a number with a unit: 90s, 5m, 12h "
          "or 30d, not \"soon\"");
  apply(R"({"refresh_token_lifetime": "40d", "connect_timeout": "3s"})");
  REQUIRE(config.refresh_token_lifetime == std::chrono::hours(24 * 40));
  REQUIRE(config.connect_timeout == std::chrono::seconds(3));
}

TEST_CASE("core::config: URLs are validated and endpoints need https unless on loopback", "[config]") {
  Config config;
  config.config_file = "c.json";
  config.redirect_uri = "localhost:8765/callback";
  REQUIRE(error_of([&] {
            validate_config(config);
          }).find("redirect_uri \"localhost:8765/callback\" is not an absolute") != std::string::npos);
  config.redirect_uri = "http://localhost:8765/callback";
  config.token_url = "http://api.infusionsoft.com/token";
  REQUIRE(error_of([&] {
            validate_config(config);
          }).find("token_url \"http://api.infusionsoft.com/token\" must use https") != std::string::npos);
  config.token_url = "http://127.0.0.1:9876/token";
  validate_config(config);
  config.userinfo_url = "http://[::1]:9876/userinfo";
  validate_config(config);
}

TEST_CASE("core::config: client credentials are required for login", "[config]") {
  Config config;
  REQUIRE(error_of([&] { require_client_credentials(config); }).find("client_id is not set") != std::string::npos);
  config.client_id = "id";
  REQUIRE(error_of([&] { require_client_credentials(config); }).find("client_secret is not set") != std::string::npos);
  config.client_secret = "secret";
  require_client_credentials(config);
}

TEST_CASE("core::config: keap-auth.example.json sets every key and loads", "[config]") {
  Config config;
  auto text = keap::test::read_file(std::string(KEAP_SOURCE_DIR) + "/keap-auth.example.json");
  apply_config_text(config, text, "keap-auth.example.json");
  validate_config(config);
  auto keys = config_key_names();
  keys.insert(keys.end(), {"profile", "profiles"});
  for (const auto& key : keys) {
    INFO(key);
    REQUIRE(text.find("\"" + key + "\"") != std::string::npos);
  }
}

TEST_CASE("core::config: a profile's values sit between the environment and the top level", "[config][profiles]") {
  TempDir dir;
  auto file = dir.file("keap-auth.json");
  write_file(file, R"({"client_id": "top", "client_secret": "top-secret", "scope": "full", "read_timeout": "30s",
                       "credentials_file": "default.json", "credentials_dir": "creds",
                       "profiles": {"acme": {"client_id": "acme-id", "read_timeout": "50s"},
                                    "globex": {"credentials_file": "/srv/globex.json"}}})",
             0600);
  ConfigFlags flags;
  flags.config_file = file;
  ConfigSource source(flags, environment({}));
  REQUIRE(source.selected_profile() == "default");
  auto top = source.for_profile("default");
  REQUIRE(top.client_id == "top");
  REQUIRE(top.credentials_file == dir.file("default.json"));
  auto acme = source.for_profile("acme");
  REQUIRE(acme.profile == "acme");
  REQUIRE(acme.client_id == "acme-id");        // the profile over the top level
  REQUIRE(acme.client_secret == "top-secret"); // the top level where the profile is silent
  REQUIRE(acme.read_timeout == std::chrono::seconds(50));
  REQUIRE(acme.credentials_file == dir.file("creds/acme.json")); // never the default profile's file
  REQUIRE(acme.origin_of("client_id") == file + " (profile \"acme\")");
  REQUIRE(source.for_profile("globex").credentials_file == "/srv/globex.json");
  REQUIRE(source.for_profile("other").credentials_file == dir.file("creds/other.json"));
  REQUIRE(acme.profile_files == std::map<std::string, std::string>{{"acme", dir.file("creds/acme.json")},
                                                                   {"default", dir.file("default.json")},
                                                                   {"globex", "/srv/globex.json"}});

  // The environment over the profile, a flag over both; --credentials only for the selected profile.
  flags.profile = "acme";
  flags.set("credentials_file", "--credentials", dir.file("flag.json"));
  ConfigSource selected(flags, environment({{"KEAP_CLIENT_ID", "env-id"}, {"KEAP_CREDENTIALS", dir.file("env.json")}}));
  auto chosen = selected.for_profile("acme");
  REQUIRE(chosen.client_id == "env-id");
  REQUIRE(chosen.credentials_file == dir.file("flag.json"));
  REQUIRE(selected.for_profile("globex").credentials_file == "/srv/globex.json");
  REQUIRE(selected.for_profile("default").credentials_file == dir.file("default.json"));
  flags.set("client_id", "--client-id", "flag-id");
  REQUIRE(ConfigSource(flags, environment({{"KEAP_CLIENT_ID", "env-id"}})).for_profile("acme").client_id == "flag-id");
}

TEST_CASE("core::config: which profile: --profile, KEAP_PROFILE, the file's profile, default", "[config][profiles]") {
  TempDir dir;
  auto file = dir.file("keap-auth.json");
  write_file(file, R"({"profile": "from-file"})");
  ConfigFlags flags;
  flags.config_file = file;
  REQUIRE(ConfigSource(flags, environment({})).selected_profile() == "from-file");
  REQUIRE(ConfigSource(flags, environment({{"KEAP_PROFILE", "from-env"}})).selected_profile() == "from-env");
  flags.profile = "from-flag";
  REQUIRE(ConfigSource(flags, environment({{"KEAP_PROFILE", "from-env"}})).selected_profile() == "from-flag");
  REQUIRE(load_config(flags, environment({{"HOME", dir.path()}})).credentials_file ==
          dir.file(".local/state/keap-auth/credentials/from-flag.json"));
  write_file(file, "{}");
  ConfigFlags plain;
  plain.config_file = file;
  REQUIRE(ConfigSource(plain, environment({})).selected_profile() == "default");
}

TEST_CASE("core::config: profile names and sections are checked like everything else", "[config][profiles]") {
  TempDir dir;
  auto file = dir.file("keap-auth.json");
  ConfigFlags flags;
  flags.config_file = file;
  auto load = [&](const std::string& text, std::map<std::string, std::string> env = {}) {
    write_file(file, text);
    load_config(flags, environment(env));
  };
  for (const char* bad :
       {"Acme", "a b", "", "x/y", "ünï", "a234567890123456789012345678901234567890123456789012345678901234"}) {
    INFO(bad);
    REQUIRE(error_of([&] { load("{}", {{"KEAP_PROFILE", bad}}); }).find("is not a profile name") != std::string::npos);
  }
  REQUIRE(is_profile_name("ab123.infusionsoft_com-2"));
  REQUIRE(error_of([&] { load(R"({"profiles": {"Acme": {}}})"); }).find("profiles: \"Acme\" is not a profile name") !=
          std::string::npos);
  REQUIRE(error_of([&] { load(R"({"profiles": {"acme": {"credentials_dir": "x"}}})"); }).find("belongs at the top") !=
          std::string::npos);
  REQUIRE(error_of([&] {
            load(R"({"profiles": {"acme": {"client_ide": "x"}}})");
          }).find("(profile \"acme\"): unknown key \"client_ide\"") != std::string::npos);
  REQUIRE(error_of([&] { load(R"({"profiles": {"acme": {"pkce": "yes"}}})"); }).find("must be true or false") !=
          std::string::npos);
  REQUIRE(error_of([&] { load(R"({"profiles": {"acme": {"profiles": {}}}})"); }).find("belongs at the top") !=
          std::string::npos);
  REQUIRE(error_of([&] { load(R"({"profiles": []})"); }).find("must be an object of profile names") !=
          std::string::npos);
  REQUIRE(error_of([&] { load(R"({"profiles": {"acme": 3}})"); }).find("must be an object") != std::string::npos);
  REQUIRE(error_of([&] { load(R"({"profile": 3})"); }).find("must be a string") != std::string::npos);
  REQUIRE(error_of([&] { load(R"({"profilez": {}})"); }).find("unknown key \"profilez\"") != std::string::npos);
  // Keys and types are checked in every profile; what the values mean, for the profile in use.
  write_file(file, R"({"profiles": {"other": {"token_url": "http://example.com/token"}}})");
  ConfigSource source(flags, environment({}));
  REQUIRE_NOTHROW(source.for_profile("default"));
  REQUIRE_THROWS_WITH(source.for_profile("other"), Catch::Contains("must use https"));
}
