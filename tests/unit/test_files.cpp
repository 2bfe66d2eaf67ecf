#include "atomic_file.hpp"
#include "credential_store.hpp"
#include "error.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

#include <sys/stat.h>

using namespace keap;
using namespace keap::test;

namespace {

/// Sets the umask for one scope.
struct Umask {
  explicit Umask(mode_t mask) : previous(::umask(mask)) {}
  ~Umask() { ::umask(previous); }
  mode_t previous;
};

Credentials sample() {
  return make_credentials({"ACCESS28", "REFRESH32", "bearer", "full|ab123.infusionsoft.com", 86399},
                          {"client", "secret", "https://api.infusionsoft.com/token"},
                          *parse_rfc3339("2026-11-27T07:00:00Z"));
}

} // namespace

TEST_CASE("atomic file: 0600 whatever the umask, folders 0700, no temp left", "[files]") {
  TempDir dir;
  Umask open_umask(0);
  auto path = dir.file("new/deeper/creds.json");
  write_file_atomically(path, "one");
  REQUIRE(read_file(path) == "one");
  REQUIRE(file_mode(path) == 0600);
  REQUIRE(file_mode(dir.file("new")) == 0700);
  REQUIRE(file_mode(dir.file("new/deeper")) == 0700);
  write_file_atomically(path, "two");
  REQUIRE(read_file(path) == "two");
  REQUIRE(std::distance(std::filesystem::directory_iterator(dir.file("new/deeper")), {}) == 1);
}

TEST_CASE("atomic file: a failed write leaves the old file whole", "[files]") {
  if (::geteuid() == 0) {
    // root ignores folder permissions; RLIMIT_FSIZE would be the way, but it kills with SIGXFSZ.
    TempDir dir;
    auto path = dir.file("creds.json");
    write_file_atomically(path, "old");
    std::filesystem::create_directory(dir.file("folder-in-the-way"));
    REQUIRE_THROWS_AS(write_file_atomically(dir.file("folder-in-the-way"), "new"), Error);
    REQUIRE(read_file(path) == "old");
    REQUIRE(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 2);
    return;
  }
  TempDir dir;
  auto path = dir.file("creds.json");
  write_file_atomically(path, "old");
  ::chmod(dir.path().c_str(), 0500);
  REQUIRE_THROWS_AS(write_file_atomically(path, "new"), Error);
  ::chmod(dir.path().c_str(), 0700);
  REQUIRE(read_file(path) == "old");
}

TEST_CASE("credentials: round-trip and app from scope", "[credentials]") {
  auto credentials = sample();
  REQUIRE(credentials.app == "ab123");
  REQUIRE(format_rfc3339(credentials.expires_at) == "2026-11-28T06:59:59Z");
  auto text = serialize_credentials(credentials);
  REQUIRE(text.starts_with("{\n  \"version\": 1,"));
  auto back = parse_credentials(text, "f.json");
  REQUIRE(back.access_token == "ACCESS28");
  REQUIRE(back.refresh_token == "REFRESH32");
  REQUIRE(back.app == "ab123");
  REQUIRE(back.expires_at == credentials.expires_at);
  REQUIRE(back.refresh_token_obtained_at == credentials.obtained_at);
  REQUIRE(back.token_url == "https://api.infusionsoft.com/token");

  REQUIRE(app_from_scope("full|xy987.infusionsoft.com") == "xy987");
  REQUIRE(app_from_scope("full|tenant.example.com") == "tenant.example.com");
  REQUIRE_FALSE(app_from_scope("openid profile"));
  REQUIRE_FALSE(app_from_scope("full|"));
  auto other = make_credentials({"a", "r", "", "openid", 60}, {"c", "s", "t"}, now_seconds());
  REQUIRE_FALSE(other.app);
  REQUIRE(parse_credentials(serialize_credentials(other), "f").app == std::nullopt);
}

TEST_CASE("credentials: damaged files are errors that name the file and field", "[credentials]") {
  auto message_of = [](const std::string& text) {
    try {
      parse_credentials(text, "/srv/keap-credentials.json");
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  REQUIRE(message_of("{\"version\": 1, \"acc").find("/srv/keap-credentials.json: not a JSON object") != std::string::npos);
  REQUIRE(message_of("").find("not a JSON object") != std::string::npos);
  auto text = serialize_credentials(sample());
  auto without_refresh = nlohmann::json::parse(text);
  without_refresh.erase("refresh_token");
  REQUIRE(message_of(without_refresh.dump()).find("field \"refresh_token\" is missing") != std::string::npos);
  auto newer = nlohmann::json::parse(text);
  newer["version"] = 2;
  REQUIRE(message_of(newer.dump()).find("has version 2") != std::string::npos);
  auto bad_time = nlohmann::json::parse(text);
  bad_time["expires_at"] = "tomorrow";
  REQUIRE(message_of(bad_time.dump()).find("\"expires_at\" is not an RFC 3339 time") != std::string::npos);
}

TEST_CASE("credential store: a missing file is 'nothing', not an error", "[credentials]") {
  TempDir dir;
  REQUIRE_FALSE(load_credentials(dir.file("absent.json")));
  save_credentials(dir.file("c.json"), sample());
  REQUIRE(load_credentials(dir.file("c.json"))->client_id == "client");
}
