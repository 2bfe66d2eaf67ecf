// The whole login in a real headless Chromium: the emulator's consent page, a click on Allow or
// Deny, the redirect to keap-auth's receiver, and what the user is finally shown.
#include "credential_store.hpp"
#include "support/chromium.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::test;

namespace {

const char* k_page_state = "location.pathname + '|' + document.title + '|' + document.body.innerText";

struct BrowserLogin {
  Emulator emulator{consent_settings()};
  TempDir dir;
  LoginRun login;
  Chromium chromium;
  std::string session;

  static emulator::Settings consent_settings() {
    auto settings = emulator_settings();
    settings.auto_approve = false;
    return settings;
  }

  BrowserLogin() : login(start_login({"--no-browser", "--config", write_config(dir, emulator)})) {
    REQUIRE_FALSE(login.authorize_url.empty());
    session = chromium.open(login.authorize_url);
  }

  void click(const std::string& id) {
    REQUIRE(chromium.wait_for(session, "document.getElementById('" + id + "') ? 'ready' : ''") == "ready");
    chromium.evaluate(session, "document.getElementById('" + id + "').click(); 'clicked'");
  }

  std::string page_once(const std::string& path_prefix) {
    return chromium.wait_for(session, "location.pathname.startsWith('" + path_prefix + "') && document.readyState === "
                                      "'complete' ? " + std::string(k_page_state) + " : ''");
  }
};

} // namespace

TEST_CASE("browser: Allow in Chromium ends on the success page with a saved file", "[e2e]") {
  if (!Chromium::available()) {
    FAIL("Debian's chromium is not installed; scripts/setup.sh installs it");
  }
  BrowserLogin run;
  run.click("allow");
  auto page = run.page_once("/keap-auth/done");
  auto result = run.login.process->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(page.starts_with("/keap-auth/done|keap-auth: signed in|"));
  REQUIRE(page.find("Signed in to Keap") != std::string::npos);
  REQUIRE(page.find("You can close this tab.") != std::string::npos);

  auto path = run.dir.file("keap-credentials.json");
  REQUIRE(file_mode(path) == 0600);
  auto credentials = *load_credentials(path);
  REQUIRE(credentials.app == "ab123");
  auto code = run.emulator.server.state().token_requests().at(0).code;
  auto url = run.chromium.evaluate(run.session, "location.href");
  for (const auto& secret : {credentials.access_token, credentials.refresh_token, code, k_client_secret}) {
    REQUIRE(page.find(secret) == std::string::npos);
    REQUIRE(url.find(secret) == std::string::npos);
  }
}

TEST_CASE("browser: Deny in Chromium shows the refusal and writes nothing", "[e2e]") {
  if (!Chromium::available()) {
    FAIL("Debian's chromium is not installed; scripts/setup.sh installs it");
  }
  BrowserLogin run;
  run.click("deny");
  auto page = run.page_once("/callback");
  auto result = run.login.process->wait();
  REQUIRE(result.exit_code == 3);
  REQUIRE(page.find("Access was not granted") != std::string::npos);
  REQUIRE(page.find("access_denied") != std::string::npos);
  REQUIRE_FALSE(file_exists(run.dir.file("keap-credentials.json")));
}
