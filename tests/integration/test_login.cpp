// `keap-auth login` as a real process against the in-process emulator over loopback HTTP. The test
// plays the browser with plain HTTP requests, so it can also play a forger.
#include "oauth/token_client.hpp"
#include "store/file_store.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <csignal>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace keap;
using namespace keap::util;
using namespace keap::test;

namespace {

std::vector<std::string> login_args(const std::string& config, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--no-browser", "--config", config}; // global option after the subcommand
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/// Asserts nothing secret is in `text`.
void require_no_secrets(const std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    INFO("secret: " << secret);
    REQUIRE(text.find(secret) == std::string::npos);
  }
}

} // namespace

TEST_CASE("login: full flow writes a 0600 credentials file the emulator accepts", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto config = write_config(dir, emulator);
  auto login = start_login(login_args(config, {"--json"}));
  REQUIRE_FALSE(login.authorize_url.empty());

  // The URL carries everything RFC 6749 and 7636 ask for.
  REQUIRE(query_parameter(login.authorize_url, "client_id") == k_client_id);
  REQUIRE(query_parameter(login.authorize_url, "response_type") == "code");
  REQUIRE(query_parameter(login.authorize_url, "scope") == "full");
  REQUIRE(query_parameter(login.authorize_url, "code_challenge_method") == "S256");
  REQUIRE(query_parameter(login.authorize_url, "state").size() == 43);
  auto redirect_uri = query_parameter(login.authorize_url, "redirect_uri");
  REQUIRE(redirect_uri.starts_with("http://localhost:"));
  REQUIRE(redirect_uri.find(":0/") == std::string::npos); // the real ephemeral port, not 0

  std::vector<std::string> visited;
  auto page = browse(login.authorize_url, &visited);
  auto result = login.process->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(page.status == 200);
  REQUIRE(page.body.find("Signed in to Keap") != std::string::npos);
  REQUIRE(page.body.find("You can close this tab") != std::string::npos);
  REQUIRE(visited.back().ends_with("/keap-auth/done")); // the code left the address bar
  REQUIRE(page.headers.find("Cache-Control")->second == "no-store");
  REQUIRE(page.headers.find("Referrer-Policy")->second == "no-referrer");
  REQUIRE(page.headers.count("Content-Security-Policy") == 1);

  auto path = dir.file("keap-credentials.json");
  REQUIRE(file_mode(path) == 0600);
  auto credentials = load_grant(path);
  REQUIRE(credentials.app == "ab123");
  REQUIRE(credentials.scope == "full|ab123.infusionsoft.com");
  REQUIRE(credentials.client_id == k_client_id);
  REQUIRE(credentials.token_url == emulator.server.base_url() + "/token");
  REQUIRE(emulator.server.state().refresh_token_valid(credentials.refresh_token, now_seconds()));
  REQUIRE(credentials.expires_at - credentials.obtained_at == std::chrono::seconds(86399));

  // Keap's documented shape for the code exchange: form body with the secret, no Authorization.
  auto requests = emulator.server.state().token_requests();
  REQUIRE(requests.size() == 1);
  REQUIRE(requests[0].grant_type == "authorization_code");
  REQUIRE(requests[0].content_type == "application/x-www-form-urlencoded");
  REQUIRE(requests[0].client_secret_in_body);
  REQUIRE(requests[0].authorization_scheme.empty());
  REQUIRE(requests[0].code_verifier.size() == 43);

  auto summary = nlohmann::json::parse(result.out);
  REQUIRE(summary["app"] == "ab123");
  REQUIRE(summary["credentials_file"] == path);
  auto secrets = {k_client_secret, credentials.access_token, credentials.refresh_token, requests[0].code,
                  requests[0].code_verifier};
  require_no_secrets(result.out + result.err + page.body, secrets);
  require_no_secrets(login.authorize_url, {requests[0].code_verifier});
}

TEST_CASE("login: client_secret_basic sends HTTP Basic and no secret in the body", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto config = write_config(dir, emulator, {{"token_auth", "client_secret_basic"}});
  auto login = start_login(login_args(config));
  browse(login.authorize_url);
  REQUIRE(login.process->wait().exit_code == 0);
  auto requests = emulator.server.state().token_requests();
  REQUIRE(requests.at(0).authorization_scheme == "Basic");
  REQUIRE_FALSE(requests.at(0).client_secret_in_body);
}

TEST_CASE("login: Deny ends with exit 3, an escaped error page and no file", "[login]") {
  auto settings = emulator_settings();
  settings.auto_approve = false;
  Emulator emulator(settings);
  TempDir dir;
  auto config = write_config(dir, emulator);
  auto login = start_login(login_args(config));

  auto consent = browser_get(login.authorize_url);
  REQUIRE(consent.status == 200);
  REQUIRE(consent.body.find("id=\"deny\"") != std::string::npos);
  Parameters form = *parse_form(parse_url(login.authorize_url)->query);
  form.emplace_back("decision", "deny");
  auto decision = browser_post_form(emulator.server.base_url() + "/app/oauth/authorize", form);
  REQUIRE(decision.status == 302);
  REQUIRE(query_parameter(decision.location, "error") == "access_denied");
  auto page = browse(decision.location);

  auto result = login.process->wait();
  REQUIRE(result.exit_code == 3);
  REQUIRE(result.err.find("access_denied") != std::string::npos);
  REQUIRE(page.body.find("Access was not granted") != std::string::npos);
  REQUIRE(page.body.find("User denied access to resource") != std::string::npos);
  REQUIRE_FALSE(file_exists(dir.file("keap-credentials.json")));
  REQUIRE(emulator.server.state().token_requests().empty());
}

TEST_CASE("login: the error text from the server is HTML-escaped on the page", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login(login_args(write_config(dir, emulator)));
  auto state = query_parameter(login.authorize_url, "state");
  auto redirect = query_parameter(login.authorize_url, "redirect_uri");
  auto page = browser_get(redirect + "?" + form_encode({{"state", state}, {"error", "<script>alert(1)</script>"}}));
  REQUIRE(login.process->wait().exit_code == 3);
  REQUIRE(page.body.find("<script>") == std::string::npos);
  REQUIRE(page.body.find("&lt;script&gt;") != std::string::npos);
}

TEST_CASE("login: no answer within --timeout ends with exit 3 and no file", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login(login_args(write_config(dir, emulator), {"--timeout", "1s"}));
  auto result = login.process->wait(std::chrono::seconds(10));
  REQUIRE(result.exit_code == 3);
  REQUIRE(result.err.find("no answer from the browser within 1s") != std::string::npos);
  REQUIRE_FALSE(file_exists(dir.file("keap-credentials.json")));
}

TEST_CASE("login: Ctrl-C while waiting ends cleanly with 130 and no file", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login(login_args(write_config(dir, emulator)));
  login.process->send_signal(SIGINT);
  auto result = login.process->wait(std::chrono::seconds(10));
  REQUIRE(result.exit_code == 130);
  REQUIRE(result.err.find("interrupted; nothing was written") != std::string::npos);
  REQUIRE_FALSE(file_exists(dir.file("keap-credentials.json")));
}

TEST_CASE("login: forged, stateless, repeated and stray requests are ignored and the real callback wins", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login(login_args(write_config(dir, emulator)));
  auto redirect = query_parameter(login.authorize_url, "redirect_uri");
  auto state = query_parameter(login.authorize_url, "state");
  auto origin = parse_url(redirect)->origin();

  auto forged = browser_get(redirect + "?code=FORGEDCODE&state=not-the-state");
  REQUIRE(forged.status == 400);
  REQUIRE(forged.body.find(state) == std::string::npos); // the expected state is never echoed
  REQUIRE(browser_get(redirect + "?code=FORGEDCODE").status == 400);
  REQUIRE(browser_get(redirect + "?code=FORGEDCODE&code=b&state=" + state).status == 400);
  REQUIRE(browser_get(redirect + "?error=access_denied&state=wrong").status == 400);
  REQUIRE(browser_get(origin + "/favicon.ico").status == 404);
  REQUIRE(browser_get(origin + "/").status == 404);
  REQUIRE(browser_get(redirect + "?code=x&state=" + state, "evil.example:80").status == 403); // DNS rebinding
  {
    httplib::Client client(origin);
    REQUIRE(client.Post(parse_url(redirect)->path, "junk", "text/plain")->status == 405);
  }
  {
    // Bytes that are not HTTP at all.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(parse_url(redirect)->port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    const std::string junk("\x16\x03\x01\x00\xff garbage\r\n\r\n", 17);
    REQUIRE(::write(fd, junk.data(), junk.size()) == 17);
    ::close(fd);
  }
  REQUIRE(login.process->running());

  auto page = browse(login.authorize_url);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 0);
  REQUIRE(page.body.find("Signed in") != std::string::npos);
  auto requests = emulator.server.state().token_requests();
  REQUIRE(requests.size() == 1);
  REQUIRE(requests[0].code != "FORGEDCODE");
}

TEST_CASE("login: a busy port is a clear exit-2 error naming the port", "[login]") {
  Emulator emulator;
  TempDir dir;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  auto port = std::to_string(ntohs(address.sin_port));
  auto config = write_config(dir, emulator, {{"redirect_uri", "http://localhost:" + port + "/callback"}});
  auto result = run({keap_auth(), "login", "--no-browser", "--config", config});
  ::close(fd);
  REQUIRE(result.exit_code == 2);
  REQUIRE(result.err.find("port " + port) != std::string::npos);
  REQUIRE(result.err.find("hint:") != std::string::npos);
}

TEST_CASE("login: a wrong client secret is exit 2 and the browser is told", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login(login_args(write_config(dir, emulator, {{"client_secret", "wrong-secret-value"}})));
  auto page = browse(login.authorize_url);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 2);
  REQUIRE(result.err.find("check client_id / client_secret") != std::string::npos);
  REQUIRE(page.body.find("Sign-in failed") != std::string::npos);
  REQUIRE(result.err.find("wrong-secret-value") == std::string::npos);
  REQUIRE_FALSE(file_exists(dir.file("keap-credentials.json")));
}

TEST_CASE("login: a token endpoint that is down is exit 5", "[login]") {
  Emulator emulator;
  TempDir dir;
  int closed_port = free_port(); // nothing listens there
  auto config =
      write_config(dir, emulator, {{"token_url", "http://127.0.0.1:" + std::to_string(closed_port) + "/token"}});
  auto login = start_login(login_args(config));
  auto page = browse(login.authorize_url);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 5);
  REQUIRE(result.err.find("cannot connect to http://127.0.0.1:" + std::to_string(closed_port) + "/token") !=
          std::string::npos);
  REQUIRE(page.body.find("Sign-in failed") != std::string::npos);
  REQUIRE_FALSE(file_exists(dir.file("keap-credentials.json")));
}

TEST_CASE("login: PKCE off sends no code_challenge", "[login]") {
  auto settings = emulator_settings();
  settings.enforce_pkce = false;
  Emulator emulator(settings);
  TempDir dir;
  auto login = start_login(login_args(write_config(dir, emulator, {{"pkce", false}})));
  REQUIRE(query_parameter(login.authorize_url, "code_challenge").empty());
  browse(login.authorize_url);
  REQUIRE(login.process->wait().exit_code == 0);
  REQUIRE(emulator.server.state().token_requests().at(0).code_verifier.empty());
}

TEST_CASE("login: replacing another app's credentials needs --force", "[login]") {
  Emulator emulator;
  TempDir dir;
  auto config = write_config(dir, emulator);
  OAuthGrant other = oauth::grant_from_response(
      {"a", "r", "bearer", "full|zz999.infusionsoft.com", 3600},
      {*parse_url("http://127.0.0.1:1/token"), TokenAuth::keap, k_client_id, k_client_secret}, now_seconds());
  auto path = dir.file("keap-credentials.json");
  save_grant(path, other);
  auto before = read_file(path);

  auto login = start_login(login_args(config));
  browse(login.authorize_url);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 2);
  REQUIRE(result.err.find("holds Keap app zz999 but this login granted app ab123; it was left as it was") !=
          std::string::npos);
  REQUIRE(read_file(path) == before);
  // The new grant is kept aside, 0600, with the command that puts it in place: no second browser trip.
  auto marker = std::string("the new grant was kept (0600) in ");
  auto at = result.err.find(marker);
  REQUIRE(at != std::string::npos);
  auto kept = result.err.substr(at + marker.size(), result.err.find('\n', at) - at - marker.size());
  REQUIRE(file_mode(kept) == 0600);
  auto kept_grant = std::get<OAuthGrant>(parse_credential(read_file(kept), kept));
  REQUIRE(kept_grant.app == "ab123");
  REQUIRE(emulator.server.state().refresh_token_valid(kept_grant.refresh_token, now_seconds()));
  REQUIRE(result.err.find("mv '" + kept + "' '" + path + "'") != std::string::npos);

  auto forced = start_login(login_args(config, {"--force"}));
  browse(forced.authorize_url);
  REQUIRE(forced.process->wait().exit_code == 0);
  REQUIRE(load_grant(path).app == "ab123");
}

namespace {

/// A fake browser that records what every local user could see of it (argv, /proc/PID/cmdline) and its
/// environment, then lingers like a real browser.
std::string recording_browser(const TempDir& dir) {
  auto script = dir.file("fake-browser.sh");
  write_file(script,
             "#!/bin/sh\n"
             "printf '%s\\n' \"$@\" > \"" +
                 dir.file("argv") +
                 "\"\n"
                 "tr '\\0' '\\n' < /proc/$$/cmdline > \"" +
                 dir.file("cmdline") +
                 "\"\n"
                 "env > \"" +
                 dir.file("env.tmp") + "\" && mv \"" + dir.file("env.tmp") + "\" \"" + dir.file("env") +
                 "\"\n"
                 "sleep 30\n",
             0755);
  return script;
}

bool wait_for_file(const std::string& path) {
  return eventually([&] { return file_exists(path); });
}

} // namespace

TEST_CASE("login: $BROWSER gets a one-time start address, never the state, and only harmless variables",
          "[login][browser]") {
  Emulator emulator;
  TempDir dir;
  auto config = write_config(dir, emulator);
  auto script = recording_browser(dir);
  Process login({keap_auth(), "login", "--config", config}, {{"BROWSER", script + " --new-window"},
                                                             {"KEAP_CLIENT_SECRET", k_client_secret},
                                                             {"PGPASSWORD", "pg-secret-7"},
                                                             {"AWS_SECRET_ACCESS_KEY", "aws-secret-7"},
                                                             {"LC_TIME", "C"},
                                                             {"XDG_RUNTIME_DIR", dir.path()}});
  REQUIRE(login.wait_for_err("\n\n", std::chrono::seconds(10)));
  REQUIRE(wait_for_file(dir.file("env")));
  auto argv = read_file(dir.file("argv"));
  auto redirect = *parse_url(query_parameter(printed_authorize_url(login.err()), "redirect_uri"));
  auto start_prefix = "--new-window\nhttp://localhost:" + std::to_string(redirect.port) + "/keap-auth/start/";
  REQUIRE(argv.starts_with(start_prefix));
  auto start = argv.substr(13, argv.find('\n', 13) - 13);
  // The authorize URL, state and all, is only behind the start address.
  auto url = printed_authorize_url(login.err());
  auto state = query_parameter(url, "state");
  REQUIRE(state.size() == 43);
  for (const char* visible : {"argv", "cmdline"}) {
    INFO(visible);
    REQUIRE(read_file(dir.file(visible)).find(state) == std::string::npos);
  }
  auto env = read_file(dir.file("env"));
  for (const char* secret : {k_client_secret.c_str(), "pg-secret-7", "aws-secret-7"}) {
    REQUIRE(env.find(secret) == std::string::npos);
  }
  REQUIRE(env.find("LC_TIME=C") != std::string::npos);
  REQUIRE(env.find("PATH=") != std::string::npos);
  auto forwarded = browser_get(start);
  REQUIRE(forwarded.status == 303);
  // (cpp-httplib hands back the Location header percent-decoded.)
  REQUIRE(forwarded.location.starts_with(emulator.server.base_url() + "/app/oauth/authorize?"));
  REQUIRE(query_parameter(forwarded.location, "state") == state);
  REQUIRE(forwarded.headers.find("Cache-Control")->second == "no-store");
  browse(url);
  auto result = login.wait(std::chrono::seconds(20)); // the script still sleeps: we did not wait for it
  REQUIRE(result.exit_code == 0);
}

TEST_CASE("login: a start address opened twice stops the login, and the browser says why", "[login][browser]") {
  Emulator emulator;
  TempDir dir;
  auto config = write_config(dir, emulator);
  Process login({keap_auth(), "login", "--config", config}, {{"BROWSER", recording_browser(dir)}});
  REQUIRE(wait_for_file(dir.file("env")));
  auto argv = read_file(dir.file("argv"));
  auto start = argv.substr(0, argv.find('\n'));
  REQUIRE(browser_get(start).status == 303); // someone who read it from /proc
  auto second = browser_get(start);          // and then the browser
  REQUIRE(second.status == 409);
  REQUIRE(second.body.find("opened a second time") != std::string::npos);
  auto result = login.wait(std::chrono::seconds(20));
  REQUIRE(result.exit_code == 3);
  REQUIRE(result.err.find("start address was opened a second time") != std::string::npos);
  REQUIRE_FALSE(file_exists(dir.file("keap-credentials.json")));
  REQUIRE(emulator.server.state().token_requests().empty());
}

TEST_CASE("login: an unstartable $BROWSER only warns and the URL is printed", "[login][browser]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login({"--config", write_config(dir, emulator)}, {{"BROWSER", "/nonexistent/browser"}});
  REQUIRE_FALSE(login.authorize_url.empty());
  REQUIRE(login.process->wait_for_err("cannot start \"/nonexistent/browser\"", std::chrono::seconds(5)));
  browse(login.authorize_url);
  REQUIRE(login.process->wait().exit_code == 0);
}
