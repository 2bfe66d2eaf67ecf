// Long work shows progress on a terminal, and only there: keap-auth run on a real pseudo-terminal
// (util-linux's script), compared with the same command whose stderr is a file.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

constexpr auto k_day = std::chrono::hours(24);

bool has_control_characters(const std::string& text) {
  return text.find('\r') != std::string::npos || text.find('\033') != std::string::npos;
}

} // namespace

TEST_CASE("progress: on a terminal login's wait is one line counting down, elsewhere not a control character",
          "[progress][login]") {
  Setup setup;
  std::vector<std::string> login{keap_auth(), "login", "--no-browser", "--timeout", "3s", "--config", setup.config};
  auto terminal = run_on_terminal(login);
  INFO(terminal.out + terminal.err);
  REQUIRE(terminal.exit_code == 3);
  // Each update rewrites the same line, and the error that ends the wait first erases it.
  CHECK(terminal.out.find("\r\033[Kkeap-auth: waiting for the browser: 3s left (Ctrl-C to stop)") != std::string::npos);
  CHECK(terminal.out.find("\r\033[Kkeap-auth: waiting for the browser: 1s left (Ctrl-C to stop)") != std::string::npos);
  CHECK(terminal.out.find("left (Ctrl-C to stop)\r\n") == std::string::npos);
  CHECK(terminal.out.find("\r\033[Kkeap-auth: error: no answer from the browser within 3s") != std::string::npos);

  auto file = setup.keap({"login", "--no-browser", "--timeout", "1s"});
  INFO(file.err);
  REQUIRE(file.exit_code == 3);
  CHECK(file.err.find("waiting for the browser on") != std::string::npos);
  CHECK(file.err.find("left (Ctrl-C") == std::string::npos);
  CHECK_FALSE(has_control_characters(file.err));

  auto dumb = run_on_terminal({keap_auth(), "login", "--no-browser", "--timeout", "1s", "--config", setup.config},
                              {{"TERM", "dumb"}});
  REQUIRE(dumb.exit_code == 3);
  CHECK(dumb.out.find('\033') == std::string::npos);
  CHECK(dumb.out.find("left (Ctrl-C") == std::string::npos);
}

TEST_CASE("progress: refresh --all on a terminal counts done of total and the failures, --quiet and files show none",
          "[progress][all]") {
  Setup setup(emulator_settings(), {{"credentials_dir", "creds"}});
  std::filesystem::create_directory(setup.dir.file("creds"));
  std::filesystem::permissions(setup.dir.file("creds"), std::filesystem::perms::owner_all);
  auto seed = [&](const std::string& profile) {
    return seed_credentials(setup.emulator, setup.dir.file("creds/" + profile + ".json"), 2h, 31 * k_day);
  };
  for (const char* profile : {"a", "b", "c"}) {
    seed(profile);
  }
  kill_refresh_token(setup.emulator, seed("dead"));
  std::vector<std::string> refresh_all{keap_auth(), "refresh", "--all", "--config", setup.config};

  auto terminal = run_on_terminal(refresh_all);
  INFO(terminal.out + terminal.err);
  REQUIRE(terminal.exit_code == 4);
  CHECK(terminal.out.find("\r\033[Kkeap-auth: refresh --all: 0/4 done") != std::string::npos);
  CHECK(terminal.out.find("\r\033[Kkeap-auth: refresh --all: 4/4 done, 1 failed") != std::string::npos);
  // The per-credential lines and the summary are printed above the progress line, never on it.
  CHECK(terminal.out.find("\r\033[Kkeap-auth: a: refreshed") != std::string::npos);
  CHECK(terminal.out.find("\r\033[Kkeap-auth: refresh --all: 4 credentials: 3 refreshed") != std::string::npos);

  for (const char* profile : {"a", "b", "c"}) {
    seed(profile);
  }
  auto quiet_refresh = refresh_all;
  quiet_refresh.push_back("--quiet");
  auto quiet = run_on_terminal(quiet_refresh);
  REQUIRE(quiet.exit_code == 4);
  CHECK(quiet.out.find(" done") == std::string::npos);
  CHECK(quiet.out.find("dead: failed") != std::string::npos);

  for (const char* profile : {"a", "b", "c"}) {
    seed(profile);
  }
  auto file = setup.keap({"refresh", "--all"});
  INFO(file.err);
  REQUIRE(file.exit_code == 4);
  CHECK(file.err.find("refresh --all: 4 credentials: 3 refreshed") != std::string::npos);
  CHECK(file.err.find(" done") == std::string::npos);
  CHECK_FALSE(has_control_characters(file.err));
}
