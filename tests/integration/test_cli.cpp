// The command line itself: exit codes and messages for bad flags and bad configuration.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace keap::test;

TEST_CASE("cli: --help and --version exit 0", "[cli]") {
  auto help = run({keap_auth(), "--help"});
  REQUIRE(help.exit_code == 0);
  REQUIRE(help.out.find("login") != std::string::npos);
  REQUIRE(help.out.find("Exit codes") != std::string::npos);
  auto version = run({keap_auth(), "--version"});
  REQUIRE(version.exit_code == 0);
  REQUIRE(version.out.find("keap-auth 0.") != std::string::npos);
}

TEST_CASE("cli: unknown flags and missing subcommands exit 2", "[cli]") {
  REQUIRE(run({keap_auth()}).exit_code == 2);
  REQUIRE(run({keap_auth(), "login", "--no-such-flag"}).exit_code == 2);
  REQUIRE(run({keap_auth(), "login", "--timeout", "0"}).exit_code == 2);
  REQUIRE(run({keap_auth(), "emulator", "--access-ttl", "soon"}).exit_code == 2);
}

TEST_CASE("cli: configuration errors exit 2 and name the file and key", "[cli][config]") {
  TempDir dir;
  auto config = dir.file("prod.json");

  write_file(config, R"({"client_id": "x", "client_secret": "y", "redirect_url": "http://localhost:1/cb"})");
  auto typo = run({keap_auth(), "--config", config, "login", "--no-browser"});
  REQUIRE(typo.exit_code == 2);
  REQUIRE(typo.err.find(config + ": unknown key \"redirect_url\"") != std::string::npos);
  REQUIRE(typo.err.find("did you mean \"redirect_uri\"?") != std::string::npos);

  write_file(config, "{\n  \"client_id\": \"x\",\n  \"pkce\": yes\n}\n");
  auto malformed = run({keap_auth(), "login", "--config", config});
  REQUIRE(malformed.exit_code == 2);
  REQUIRE(malformed.err.find("line 3, column") != std::string::npos);

  write_file(config, R"({"client_secret": "y"})");
  auto missing = run({keap_auth(), "login", "--config", config});
  REQUIRE(missing.exit_code == 2);
  REQUIRE(missing.err.find("client_id is not set") != std::string::npos);

  write_file(config, R"({"client_id": "x", "client_secret": "y", "token_url": "http://api.example.com/token"})");
  auto plain = run({keap_auth(), "login", "--config", config});
  REQUIRE(plain.exit_code == 2);
  REQUIRE(plain.err.find("must use https") != std::string::npos);

  auto absent = run({keap_auth(), "login", "--config", dir.file("absent.json")});
  REQUIRE(absent.exit_code == 2);
  REQUIRE(absent.err.find("absent.json does not exist") != std::string::npos);
}

TEST_CASE("cli: the secret can come from --client-secret-file or KEAP_CLIENT_SECRET", "[cli][config]") {
  TempDir dir;
  write_file(dir.file("secret"), "s3cret-from-file\n", 0600);
  write_file(dir.file("keap-auth.json"), R"({"client_id": "x", "redirect_uri": "http://localhost:0/cb"})");
  // Without a secret: exit 2 before anything listens.
  auto none = run({keap_auth(), "login", "--no-browser"}, {}, dir.path());
  REQUIRE(none.exit_code == 2);
  REQUIRE(none.err.find("client_secret is not set") != std::string::npos);
  // With one, the login listens and times out: proof the secret was accepted.
  auto from_file =
      run({keap_auth(), "login", "--no-browser", "--timeout", "1", "--client-secret-file", dir.file("secret")}, {},
          dir.path());
  REQUIRE(from_file.exit_code == 3);
  auto from_env =
      run({keap_auth(), "login", "--no-browser", "--timeout", "1"}, {{"KEAP_CLIENT_SECRET", "env"}}, dir.path());
  REQUIRE(from_env.exit_code == 3);
}
