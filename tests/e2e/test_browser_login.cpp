// The whole login in a real headless Chromium: the emulator's consent page, a click on Allow or
// Deny, the redirect to keap-auth's receiver, and what the user is finally shown.
#include "net/tls_identity.hpp"
#include "store/file_store.hpp"
#include "support/chromium.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <functional>

#include <unistd.h>

using namespace keap;
using namespace keap::util;
using namespace keap::test;

namespace {

const char* k_page_state = "location.pathname + '|' + document.title + '|' + document.body.innerText";

/// A login started with `arguments` and a Chromium (with `chromium_arguments`, decided once the login
/// is listening) pointed at its authorize URL.
struct BrowserLogin {
  Emulator emulator{consent_settings()};
  TempDir dir;
  LoginRun login;
  std::unique_ptr<Chromium> chromium;
  std::string session;

  static emulator::Settings consent_settings() {
    auto settings = emulator_settings();
    settings.auto_approve = false;
    return settings;
  }

  explicit BrowserLogin(const nlohmann::json& config = {}, std::vector<std::string> arguments = {},
                        const std::function<std::vector<std::string>(const TempDir&)>& chromium_arguments = {},
                        bool through_start_address = false) {
    arguments.insert(arguments.begin(), {"--config", write_config(dir, emulator, config)});
    std::map<std::string, std::string> env{{"XDG_CONFIG_HOME", dir.file("xdg")}};
    if (through_start_address) {
      // keap-auth starts "a browser" that only hands its address to the test, which opens it in Chromium:
      // what a confined browser (snap, flatpak) is given, with no file of keap-auth's to read.
      write_file(dir.file("browser.sh"), "#!/bin/sh\nprintf '%s' \"$1\" > \"$0.tmp\" && mv \"$0.tmp\" \"$0.url\"\n",
                 0755);
      env["BROWSER"] = dir.file("browser.sh");
    } else {
      arguments.insert(arguments.begin(), "--no-browser");
    }
    login = start_login(arguments, env);
    REQUIRE_FALSE(login.authorize_url.empty());
    chromium = std::make_unique<Chromium>(chromium_arguments ? chromium_arguments(dir) : std::vector<std::string>{});
    auto url = login.authorize_url;
    if (through_start_address) {
      REQUIRE(eventually([&] { return file_exists(dir.file("browser.sh.url")); }));
      url = read_file(dir.file("browser.sh.url"));
      REQUIRE(url.find("/keap-auth/start/") != std::string::npos);
    }
    session = chromium->open(url);
  }

  void click(const std::string& id) {
    REQUIRE(chromium->wait_for(session, "document.getElementById('" + id + "') ? 'ready' : ''") == "ready");
    chromium->evaluate(session, "document.getElementById('" + id + "').click(); 'clicked'");
  }

  std::string page_once(const std::string& path_prefix) {
    return chromium->wait_for(session, "location.pathname.startsWith('" + path_prefix +
                                           "') && document.readyState === "
                                           "'complete' ? " +
                                           std::string(k_page_state) + " : ''");
  }

  /// Allow, then the success page and a valid 0600 file, with no secret on the page or in the address.
  void require_signed_in(const std::string& scheme) {
    click("allow");
    auto page = page_once("/keap-auth/done");
    auto result = login.process->wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(page.starts_with("/keap-auth/done|keap-auth: signed in|"));
    REQUIRE(page.find("Signed in to Keap") != std::string::npos);
    REQUIRE(page.find("saved them to the credentials file " + dir.file("keap-credentials.json")) != std::string::npos);
    REQUIRE(page.find("You can close this tab.") != std::string::npos);
    auto url = chromium->evaluate(session, "location.href");
    REQUIRE(url.starts_with(scheme + "://localhost:"));
    auto path = dir.file("keap-credentials.json");
    REQUIRE(file_mode(path) == 0600);
    auto credentials = load_grant(path);
    REQUIRE(credentials.app == "ab123");
    auto code = emulator.server.state().token_requests().at(0).code;
    for (const auto& secret : {credentials.access_token, credentials.refresh_token, code, k_client_secret}) {
      REQUIRE(page.find(secret) == std::string::npos);
      REQUIRE(url.find(secret) == std::string::npos);
    }
  }
};

/// Chromium trusts exactly this certificate's key, and no other.
std::vector<std::string> trust(const std::string& certificate, const std::string& key) {
  return {"--ignore-certificate-errors-spki-list=" + net::load_tls_identity(certificate, key).spki_sha256};
}

} // namespace

TEST_CASE("browser: Allow in Chromium ends on the success page with a saved file", "[e2e]") {
  REQUIRE(Chromium::available());
  BrowserLogin run;
  run.require_signed_in("http");
}

TEST_CASE("browser: Chromium given only the one-time start address signs in", "[e2e]") {
  REQUIRE(Chromium::available());
  BrowserLogin run({}, {}, {}, true);
  run.require_signed_in("http");
}

TEST_CASE("browser: over HTTPS with the generated certificate", "[e2e][https]") {
  REQUIRE(Chromium::available());
  BrowserLogin run({{"redirect_uri", "https://localhost:0/callback"}}, {}, [](const TempDir& dir) {
    return trust(dir.file("xdg/keap-auth/localhost-cert.pem"), dir.file("xdg/keap-auth/localhost-key.pem"));
  });
  run.require_signed_in("https");
}

TEST_CASE("browser: over HTTPS with the user's certificate", "[e2e][https]") {
  REQUIRE(Chromium::available());
  TempDir certificates;
  std::vector<std::string> notices;
  auto own = net::self_signed_identity(certificates.path(), now_seconds(), notices);
  auto key = certificates.file("localhost-key.pem");
  BrowserLogin run({{"redirect_uri", "https://localhost:0/callback"}},
                   {"--tls-cert", own.certificate_file, "--tls-key", key},
                   [&](const TempDir&) { return trust(own.certificate_file, key); });
  run.require_signed_in("https");
}

TEST_CASE("browser: Deny in Chromium shows the refusal and writes nothing", "[e2e]") {
  REQUIRE(Chromium::available()); // scripts/setup.sh --tests installs Debian's chromium
  BrowserLogin run;
  run.click("deny");
  auto page = run.page_once("/callback");
  auto result = run.login.process->wait();
  REQUIRE(result.exit_code == 3);
  REQUIRE(page.find("Access was not granted") != std::string::npos);
  REQUIRE(page.find("access_denied") != std::string::npos);
  REQUIRE_FALSE(file_exists(run.dir.file("keap-credentials.json")));
}
