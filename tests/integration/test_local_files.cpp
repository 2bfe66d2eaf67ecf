// What keap-auth does with local things that are not what they should be: a FIFO, a device or a
// 200 MB file where a credentials or config file belongs, stdout full or closed, bytes that are not
// UTF-8, a command that does not exist, a port another emulator holds, a folder nothing can be saved to.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// keap-auth run by bash with its stdout redirected as `redirection` says (">/dev/full", ">&-").
ProcessResult with_stdout(const std::string& redirection, const std::vector<std::string>& arguments) {
  std::vector<std::string> command{"/bin/bash", "-c", "exec \"$@\" " + redirection, "bash", keap_auth()};
  command.insert(command.end(), arguments.begin(), arguments.end());
  return run(command);
}

} // namespace

TEST_CASE("local files: a FIFO, a device or a huge file is refused at once, never read", "[files]") {
  Setup setup;
  REQUIRE(::mkfifo(setup.path().c_str(), 0600) == 0);
  auto fifo = setup.keap({"token"});
  REQUIRE(fifo.exit_code == 1);
  REQUIRE(fifo.err.find("it is a FIFO, not a regular file") != std::string::npos);
  std::filesystem::remove(setup.path());

  std::filesystem::create_symlink("/dev/zero", setup.path());
  auto zero = setup.keap({"status"});
  REQUIRE(zero.exit_code == 1);
  REQUIRE(zero.err.find("it is a device, not a regular file") != std::string::npos);
  std::filesystem::remove(setup.path());

  write_file(setup.path(), "{}", 0600);
  REQUIRE(::truncate(setup.path().c_str(), 200LL * 1024 * 1024) == 0); // sparse: no disk is used
  auto huge = setup.keap({"token"});
  REQUIRE(huge.exit_code == 1);
  REQUIRE(huge.err.find("larger than 1048576 bytes") != std::string::npos);

  auto config_fifo = setup.dir.file("config-fifo.json");
  REQUIRE(::mkfifo(config_fifo.c_str(), 0600) == 0);
  auto config = run({keap_auth(), "status", "--config", config_fifo});
  REQUIRE(config.exit_code == 2);
  REQUIRE(config.err.find("--config: cannot read " + config_fifo + ": it is a FIFO") != std::string::npos);
}

TEST_CASE("output: a token, a status or a user that cannot be written is exit 1, never a silent success", "[output]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  for (const auto& command : std::vector<std::vector<std::string>>{{"token"}, {"status"}, {"whoami"}}) {
    auto arguments = command;
    arguments.insert(arguments.end(), {"--config", setup.config});
    INFO(command.front());
    auto full = with_stdout(">/dev/full", arguments);
    REQUIRE(full.exit_code == 1);
    REQUIRE(full.err.find("cannot write to standard output: No space left on device") != std::string::npos);
    auto closed = with_stdout(">&-", arguments);
    REQUIRE(closed.exit_code == 1);
    REQUIRE(closed.err.find("standard output is closed") != std::string::npos);
  }
  // A closed stdout must not become the first file keap-auth opens: the credentials are untouched.
  REQUIRE(load_grant(setup.path()).client_id == k_client_id);
}

TEST_CASE("output: a reader that goes away (| head) ends a listing quietly with 141, a token loudly with 1",
          "[output]") {
  Setup setup({}, {}, [] {
    emulator::RestSettings rest;
    rest.contacts = 3000;
    return rest;
  }());
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto keap = "'" + keap_auth() + "' --config '" + setup.config + "'";
  auto listing = run({"/bin/bash", "-c",
                      keap + " api v1/contacts --paginate --items | head -n 1 > /dev/null; "
                             "echo \"exit ${PIPESTATUS[0]}\" >&2"});
  INFO(listing.err);
  REQUIRE(listing.err.find("exit 141") != std::string::npos);
  REQUIRE(listing.err.find("Broken pipe") == std::string::npos);
  REQUIRE(listing.err.find("error") == std::string::npos);
  // A token that went nowhere is never quiet: the script reading it must know. (The pipe's reader is
  // gone before keap-auth starts, so its write always fails.)
  auto token = run({"/usr/bin/python3", "-c",
                    "import os, subprocess, sys\n"
                    "r, w = os.pipe(); os.close(r)\n"
                    "p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)\n"
                    "print('exit', p.returncode); print(p.stderr.decode())\n",
                    keap_auth(), "token", "--config", setup.config});
  INFO(token.out);
  REQUIRE(token.out.find("exit 1") != std::string::npos);
  REQUIRE(token.out.find("cannot write to standard output: its reader closed it") != std::string::npos);
}

TEST_CASE("values: bytes that are not UTF-8 are a usage error naming the flag", "[utf8]") {
  Setup setup;
  auto result = setup.keap({"status", "--json", "--credentials", "x\xff.json"});
  REQUIRE(result.exit_code == 2);
  REQUIRE(result.err.find("--credentials is not valid UTF-8 (byte 2)") != std::string::npos);
  auto client = run({keap_auth(), "login", "--begin", "--config", setup.config}, {{"KEAP_CLIENT_ID", "id\xff"}});
  REQUIRE(client.exit_code == 2);
  REQUIRE(client.err.find("KEAP_CLIENT_ID is not valid UTF-8") != std::string::npos);
}

TEST_CASE("commands: an unknown one is named, with the nearest known one", "[cli]") {
  auto typo = run({keap_auth(), "logn"});
  REQUIRE(typo.exit_code == 2);
  REQUIRE(typo.err == "keap-auth: error: unknown command \"logn\"\nkeap-auth: hint: did you mean `keap-auth login`?\n");
  auto nosuch = run({keap_auth(), "--config", "x.json", "nosuch"});
  REQUIRE(nosuch.exit_code == 2);
  REQUIRE(nosuch.err.find("unknown command \"nosuch\"") != std::string::npos);
  auto none = run({keap_auth()});
  REQUIRE(none.exit_code == 2);
  REQUIRE(none.err.find("a command is required") != std::string::npos);
}

TEST_CASE("emulator: a port another emulator holds is refused, not shared", "[emulator]") {
  Emulator first;
  auto port = std::to_string(first.server.port());
  auto second = run({keap_auth(), "emulator", "--port", port});
  REQUIRE(second.exit_code == 2);
  REQUIRE(second.err.find("cannot listen on 127.0.0.1 port " + port + " for the emulator") != std::string::npos);
}

TEST_CASE("login: credentials that cannot be saved stop the login before the browser, spending nothing",
          "[login][files]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:0/callback"}});
  for (const auto& place : {std::string("/proc/keap-credentials.json"), setup.dir.file("no/such/folder/c.json")}) {
    INFO(place);
    auto result = setup.keap({"login", "--no-browser", "--credentials", place});
    REQUIRE(result.exit_code == 2);
    REQUIRE(result.err.find("the credentials cannot be saved to " + place) != std::string::npos);
    REQUIRE(result.err.find("open this URL") == std::string::npos); // no browser step was begun
  }
  REQUIRE(setup.emulator.server.state().token_requests().empty());
}
