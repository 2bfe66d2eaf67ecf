// keap-auth as a packager installs it: `cmake --install` into a staging folder (DESTDIR), then the
// installed programs used from there; and what the light executable does when its full program is
// missing or of another version.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// The installed light executable in a fresh staging folder.
std::string stage(const TempDir& staging) {
  auto installed =
      run({KEAP_CMAKE_COMMAND, "--install", KEAP_BINARY_DIR, "--prefix", "/usr"}, {{"DESTDIR", staging.path()}});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_code == 0);
  return staging.file("usr/bin/keap-auth");
}

} // namespace

TEST_CASE("install: a staged install logs in, refreshes, prints a token and a status", "[install]") {
  TempDir staging;
  auto keap_auth = stage(staging);
  REQUIRE(file_exists(staging.file("usr/libexec/keap-auth/keap-auth-full")));
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:0/callback"}});

  Process login({keap_auth, "login", "--no-browser", "--config", setup.config});
  REQUIRE(login.wait_for_err("\n\n", 10s));
  auto err = login.err();
  auto start = err.find("  http");
  browse(err.substr(start + 2, err.find('\n', start) - start - 2));
  auto logged_in = login.wait();
  INFO(logged_in.err);
  REQUIRE(logged_in.exit_code == 0);
  auto refreshed = run({keap_auth, "refresh", "--config", setup.config});
  REQUIRE(refreshed.exit_code == 0);
  auto token = run({keap_auth, "token", "--config", setup.config});
  REQUIRE(token.exit_code == 0);
  REQUIRE(token.out == load_grant(setup.path()).access_token + "\n");
  auto status = run({keap_auth, "status", "--config", setup.config});
  REQUIRE(status.exit_code == 0);
  REQUIRE(status.out.find("Keap app:    ab123") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator) == 1);
}

TEST_CASE("install: without its full program, --version and a valid token still work, and the rest says what is "
          "missing",
          "[install]") {
  TempDir staging;
  auto keap_auth = stage(staging);
  std::filesystem::remove(staging.file("usr/libexec/keap-auth/keap-auth-full"));
  REQUIRE(run({keap_auth, "--version"}).out.starts_with("keap-auth "));
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{keap_auth, "--help"}, {keap_auth, "status", "--jsn"}}) {
    auto missing = run(argv);
    REQUIRE(missing.exit_code == 1);
    REQUIRE(missing.err.find("needs keap-auth's full program, which is not installed") != std::string::npos);
  }
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), 2h);
  REQUIRE(run({keap_auth, "token", "--config", setup.config}).out == seeded.access_token + "\n");
  auto status = run({keap_auth, "status", "--config", setup.config});
  REQUIRE(status.exit_code == 1);
  REQUIRE(status.err.find("looked for " + staging.file("usr/bin/../libexec/keap-auth/keap-auth-full")) !=
          std::string::npos);
}

TEST_CASE("install: a full program of another version refuses to run", "[install]") {
  auto result = run({KEAP_AUTH_FULL_BINARY, "status"}, {{"KEAP_AUTH_EXPECTED_VERSION", "0.0.1"}});
  REQUIRE(result.exit_code == 1);
  REQUIRE(result.err.find("keap-auth 0.0.1 found keap-auth-full") != std::string::npos);
  REQUIRE(result.err.find("from different installations") != std::string::npos);
}
