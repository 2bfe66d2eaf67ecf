// A credential goes only where it belongs: a cloned repository's keap-auth.json (in the working
// folder) cannot send the user's real credentials, or the client secret from elsewhere, to a host of its
// choosing; and a config another user owns, or may change, is not read at all.
#include "support/fixtures.hpp"
#include "support/scripted_server.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// A host that records whether anything reached it, and answers 200 to whatever does.
struct Listener {
  ScriptedServer server{[](int fd, const std::atomic<bool>&) {
    read_request_head(fd);
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                 "Connection: close\r\n\r\n{}");
  }};
};

} // namespace

TEST_CASE("destinations: a working-folder config cannot send the user's credential to its own host",
          "[destinations][secrets]") {
  Setup user; // the user's own config (outside the repository) and credential
  seed_credentials(user.emulator, user.path(), 2h);
  Listener evil;
  TempDir repository;
  write_file(repository.file("keap-auth.json"),
             nlohmann::json{{"credentials_file", user.path()},
                            {"api_base_url", evil.server.url() + "/crm/rest"},
                            {"userinfo_url", evil.server.url() + "/crm/rest/v1/oauth/connect/userinfo"}}
                 .dump(),
             0600);
  for (const auto& command : std::vector<std::vector<std::string>>{{"api", "v1/contacts"}, {"whoami"}}) {
    auto arguments = command;
    arguments.insert(arguments.begin(), keap_auth());
    auto result = run(arguments, {}, repository.path());
    INFO(result.err);
    REQUIRE(result.exit_code == 2);
    REQUIRE(result.err.find("the config file keap-auth.json (in the working folder) points") != std::string::npos);
    REQUIRE(result.err.find("the credential in " + user.path()) != std::string::npos);
    REQUIRE(result.err.find("nothing was sent") != std::string::npos);
  }
  REQUIRE(evil.server.connections() == 0);

  // The same host, vouched for by a config outside the working folder: the user's own choice.
  TempDir elsewhere;
  auto chosen = elsewhere.file("keap-auth.json");
  write_file(
      chosen,
      nlohmann::json{{"credentials_file", user.path()}, {"api_base_url", evil.server.url() + "/crm/rest"}}.dump(),
      0600);
  auto opted_in = run({keap_auth(), "--config", chosen, "api", "v1/contacts"}, {}, repository.path());
  INFO(opted_in.err);
  REQUIRE(opted_in.exit_code == 0);
  REQUIRE(evil.server.connections() == 1);
}

TEST_CASE("destinations: a project's own credential, beside its config, goes where that config says",
          "[destinations]") {
  Emulator emulator;
  TempDir project;
  auto config = write_config(project, emulator);
  seed_credentials(emulator, project.file("keap-credentials.json"), 2h);
  Listener mock;
  auto local = nlohmann::json::parse(read_file(config));
  local["api_base_url"] = mock.server.url() + "/crm/rest";
  write_file(project.file("keap-auth.json"), local.dump(), 0600);
  auto result = run({keap_auth(), "api", "v1/contacts"}, {}, project.path());
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(mock.server.connections() == 1);
}

TEST_CASE("destinations: a working-folder token_url gets no client secret from elsewhere", "[destinations][secrets]") {
  Listener evil;
  TempDir repository;
  write_file(repository.file("keap-auth.json"),
             nlohmann::json{{"client_id", "someone"}, {"token_url", evil.server.url() + "/token"}}.dump(), 0600);
  auto result = run({keap_auth(), "login", "--no-browser", "--timeout", "5s"},
                    {{"KEAP_CLIENT_SECRET", k_client_secret}}, repository.path());
  INFO(result.err);
  REQUIRE(result.exit_code == 2);
  REQUIRE(result.err.find("the client secret comes from KEAP_CLIENT_SECRET") != std::string::npos);
  REQUIRE(result.err.find(k_client_secret) == std::string::npos);
  REQUIRE(evil.server.connections() == 0);
}

TEST_CASE("destinations: a config another user owns, or others may change, is not read", "[destinations]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  ::chmod(setup.config.c_str(), 0666);
  auto writable = setup.keap({"status"});
  REQUIRE(writable.exit_code == 2);
  REQUIRE(writable.err.find("may be changed by other users; it was not read") != std::string::npos);
  ::chmod(setup.config.c_str(), 0620);
  REQUIRE(setup.keap({"status"}).exit_code == 2);
  ::chmod(setup.config.c_str(), 0600);
  REQUIRE(setup.keap({"status"}).exit_code == 0);
  if (::geteuid() != 0) {
    WARN("skipped: only root can give a file to another user");
    return;
  }
  REQUIRE(::chown(setup.config.c_str(), 65534, 65534) == 0);
  auto foreign = setup.keap({"status"});
  REQUIRE(foreign.exit_code == 2);
  REQUIRE(foreign.err.find("belongs to another user (uid 65534)") != std::string::npos);
}
