// Every writer of credentials takes the same lock and re-reads under it: a login and a refresh in
// flight, a login while a refresh waits, and a lock holder that outlasts a waiter's patience.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

std::string issued_by(Emulator& emulator, const std::string& grant_type) {
  for (const auto& request : emulator.server.state().token_requests()) {
    if (request.grant_type == grant_type && !request.issued_refresh_token.empty()) {
      return request.issued_refresh_token;
    }
  }
  return {};
}

} // namespace

TEST_CASE("concurrency: a login that completes while a refresh is in flight ends with the login's grant",
          "[concurrency][login]") {
  Setup setup(emulator_settings(), {{"redirect_uri", "http://localhost:0/callback"}});
  seed_credentials(setup.emulator, setup.path(), 1h);
  // The refresh's answer takes two seconds, holding the lock all that time.
  setup.emulator.server.state().set_token_fault(slow_answer(2000ms, 1));
  auto refresh = setup.start({"refresh"});
  REQUIRE(wait_for_token_requests(setup.emulator, 1, 5s));
  auto login = start_login({"--no-browser", "--config", setup.config});
  browse(login.authorize_url); // the code exchange answers at once; the commit waits for the lock
  auto logged_in = login.process->wait(20s);
  auto refreshed = refresh->wait(20s);
  INFO(logged_in.err << refreshed.err);
  REQUIRE(refreshed.exit_code == 0);
  REQUIRE(refreshed.err.find("refreshed because no condition was given") != std::string::npos);
  REQUIRE(logged_in.exit_code == 0);
  REQUIRE(logged_in.err.find("replaced the earlier credentials") != std::string::npos);
  // The refresh wrote first (it held the lock); the login's commit, under the same lock, came last.
  auto login_grant = issued_by(setup.emulator, "authorization_code");
  REQUIRE_FALSE(login_grant.empty());
  REQUIRE(load_grant(setup.path()).refresh_token == login_grant);
}

TEST_CASE("concurrency: a refresh that waited while the credentials changed says so and decides on the new ones",
          "[concurrency]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 1h, 40 * 24h);
  int lock = ::open((setup.path() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(::flock(lock, LOCK_EX) == 0);
  auto refresh = setup.start({"refresh", "--if-older-than", "30d", "--verbose"});
  // It opens the lock file after its lock-free read: from then on it waits for the lock we hold.
  REQUIRE(eventually([&] { return holds_open(refresh->pid(), setup.path() + ".lock"); }));
  auto fresh = seed_credentials(setup.emulator, setup.path(), 20h, 0s); // a login, as far as the file can tell
  ::close(lock);
  auto result = refresh->wait(10s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.err.find("the credentials changed while this refresh waited for the lock") != std::string::npos);
  REQUIRE(result.err.find("nothing to do") != std::string::npos); // the new grant is young
  REQUIRE(load_grant(setup.path()).refresh_token == fresh.refresh_token);
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
}

TEST_CASE("concurrency: a holder outlasts a waiter's --lock-timeout, and the default wait outlasts the holder",
          "[concurrency][lock]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(4000ms, 1));
  auto holder = setup.start({"refresh"});
  REQUIRE(wait_for_token_requests(setup.emulator, 1, 5s));
  auto impatient = setup.keap({"token", "--lock-timeout", "1s"});
  INFO(impatient.err);
  REQUIRE(impatient.exit_code == 5);
  REQUIRE(impatient.err.find("has held the lock " + setup.path() + ".lock for more than 1s; nothing was changed") !=
          std::string::npos);
  auto patient = setup.keap({"token"}); // the default wait (120 s) is longer than any exchange (90 s)
  REQUIRE(holder->wait(20s).exit_code == 0);
  INFO(patient.err);
  REQUIRE(patient.exit_code == 0);
  REQUIRE(patient.out == load_grant(setup.path()).access_token + "\n");
  REQUIRE(refresh_grants(setup.emulator, 0) == 1); // the waiters used the holder's refresh
}
