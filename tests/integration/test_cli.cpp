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
      run({keap_auth(), "login", "--no-browser", "--timeout", "1s", "--client-secret-file", dir.file("secret")}, {},
          dir.path());
  REQUIRE(from_file.exit_code == 3);
  auto from_env =
      run({keap_auth(), "login", "--no-browser", "--timeout", "1s"}, {{"KEAP_CLIENT_SECRET", "env"}}, dir.path());
  REQUIRE(from_env.exit_code == 3);
}

TEST_CASE("usage errors say what was wrong: a repeated option, an unknown subcommand, two flags that exclude "
          "each other, and no far-fetched suggestion",
          "[cli][usage]") {
  struct Case {
    std::vector<std::string> arguments;
    std::string error;
    std::string hint;
  };
  for (const auto& test : std::vector<Case>{
           {{"--profile", "a", "--profile", "b", "token"}, "option --profile was given more than once", "give it once"},
           {{"config", "shw"},
            "unknown subcommand \"shw\" for `keap-auth config`",
            "did you mean `keap-auth config show`?"},
           {{"store", "key", "lst"},
            "unknown subcommand \"lst\" for `keap-auth store key`",
            "did you mean `keap-auth store key list`?"},
           {{"list", "--json", "--names"}, "--json cannot be used with --names", ""},
           {{"foo"}, "unknown command \"foo\"", "see `keap-auth --help` for the commands"},
           {{"stats"}, "unknown command \"stats\"", "did you mean `keap-auth status`?"},
           {{"status", "--profile", "acm"}, "", ""}}) {
    auto arguments = test.arguments;
    arguments.insert(arguments.begin(), keap_auth());
    auto result = run(arguments);
    INFO(result.err);
    if (test.error.empty()) {
      continue;
    }
    REQUIRE(result.exit_code == 2);
    REQUIRE(result.err.find("error: " + test.error) != std::string::npos);
    REQUIRE(result.err.find("hint: " + test.hint) != std::string::npos);
  }
}

TEST_CASE("profiles: a mistyped profile gets a did-you-mean, and every hint keeps the profile", "[cli][profiles]") {
  TempDir dir;
  write_file(dir.file("keap-auth.json"),
             R"({"client_id": "c", "client_secret": "s", "credentials_dir": "creds", "profiles": {"acme": {}}})", 0600);
  auto config = dir.file("keap-auth.json");
  auto status = run({keap_auth(), "status", "--profile", "acm", "--config", config});
  REQUIRE(status.exit_code == 4);
  REQUIRE(status.out.find("next: there is no profile \"acm\": did you mean `--profile acme`?") != std::string::npos);
  auto token = run({keap_auth(), "token", "--profile", "acm", "--config", config});
  REQUIRE(token.exit_code == 4);
  REQUIRE(token.err.find("hint: there is no profile \"acm\": did you mean `--profile acme`?") != std::string::npos);
  auto unknown = run({keap_auth(), "status", "--profile", "zeta", "--config", config});
  REQUIRE(unknown.out.find("next: run `keap-auth login --profile zeta`") != std::string::npos);
  auto duration = run({keap_auth(), "status", "--config", config}, {{"KEAP_PROFILE", "acme"}});
  REQUIRE(duration.exit_code == 4);
  write_file(config, R"({"client_id": "c", "refresh_token_lifetime": "45"})", 0600);
  auto unitless = run({keap_auth(), "status", "--config", config});
  REQUIRE(unitless.exit_code == 2);
  REQUIRE(unitless.err.find("key \"refresh_token_lifetime\" must be a positive duration") != std::string::npos);
}
