// Logins where the browser is elsewhere: the HTTPS receiver and its certificate, the two-step
// --begin / --finish, --manual, the SSH hint, and that nothing ever waits on a closed stdin.
#include "net/tls_identity.hpp"
#include "oauth/pending_login.hpp"
#include "store/file_store.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace keap;
using namespace keap::util;
using namespace keap::oauth;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

struct Remote {
  explicit Remote(nlohmann::json extra = {}) { config = write_config(dir, emulator, extra); }

  ProcessResult login(std::vector<std::string> arguments, const std::optional<std::string>& stdin_text = std::nullopt,
                      std::map<std::string, std::string> env = {}) {
    arguments.insert(arguments.begin(), {keap_auth(), "login"});
    arguments.insert(arguments.end(), {"--config", config});
    env.emplace("XDG_CONFIG_HOME", dir.file("xdg"));
    return run(arguments, env, {}, stdin_text);
  }

  /// Plays the browser for a --begin URL: the emulator approves and redirects; the address it
  /// redirects to (the page that fails to load on a remote machine) is returned.
  std::string landing_address(const std::string& authorize_url) {
    auto page = browser_get(authorize_url);
    REQUIRE(page.status == 302);
    return page.location;
  }

  std::string credentials() const { return dir.file("keap-credentials.json"); }

  Emulator emulator;
  TempDir dir;
  std::string config;
};

const nlohmann::json k_fixed_redirect = {{"redirect_uri", "http://localhost:8765/callback"}};

} // namespace

TEST_CASE("two-step: --begin then --finish with the whole address", "[two-step]") {
  Remote remote(k_fixed_redirect);
  auto begin = remote.login({"--begin"});
  REQUIRE(begin.exit_code == 0);
  auto url = begin.out.substr(0, begin.out.find('\n'));
  REQUIRE(url.find("/app/oauth/authorize?") != std::string::npos);
  REQUIRE(query_parameter(url, "redirect_uri") == "http://localhost:8765/callback");
  auto pending_file = remote.credentials() + ".pending";
  REQUIRE(file_mode(pending_file) == 0600);
  auto pending = parse_pending(read_file(pending_file), pending_file);
  REQUIRE(pending.state == query_parameter(url, "state"));
  REQUIRE(begin.err.find("--finish") != std::string::npos);
  REQUIRE(begin.err.find(pending.code_verifier) == std::string::npos);

  auto address = remote.landing_address(url);
  auto finish = remote.login({"--finish", "-"}, address);
  INFO(finish.err);
  REQUIRE(finish.exit_code == 0);
  REQUIRE(load_grant(remote.credentials()).app == "ab123");
  REQUIRE_FALSE(file_exists(pending_file));
  auto requests = remote.emulator.server.state().token_requests();
  REQUIRE(requests.at(0).code_verifier == pending.code_verifier); // PKCE survives the two steps
}

TEST_CASE("two-step: --finish takes a bare code, or the address on stdin", "[two-step]") {
  Remote remote(k_fixed_redirect);
  auto begin = remote.login({"--begin", "--json"});
  auto code = query_parameter(remote.landing_address(nlohmann::json::parse(begin.out)["authorize_url"]), "code");
  auto finish = remote.login({"--finish", "-"}, code);
  REQUIRE(finish.exit_code == 0);

  auto again = remote.login({"--begin"});
  auto address = remote.landing_address(again.out.substr(0, again.out.find('\n')));
  auto from_stdin = remote.login({"--finish", "-"}, "\n  " + address + "  \n");
  INFO(from_stdin.err);
  REQUIRE(from_stdin.exit_code == 0);
  REQUIRE(from_stdin.err.find(query_parameter(address, "code")) == std::string::npos);
  REQUIRE(remote.emulator.server.state().token_requests().size() == 2);
}

TEST_CASE("two-step: each wrong answer has its own message and writes nothing", "[two-step]") {
  Remote remote(k_fixed_redirect);
  auto none = remote.login({"--finish", "-"}, "http://localhost:8765/callback?code=abc&state=xyz");
  REQUIRE(none.exit_code == 2);
  REQUIRE(none.err.find("there is no pending login") != std::string::npos);

  auto begin = remote.login({"--begin"});
  auto url = begin.out.substr(0, begin.out.find('\n'));
  auto forged = remote.login({"--finish", "-"}, "http://localhost:8765/callback?code=abc&state=not-it");
  REQUIRE(forged.exit_code == 2);
  REQUIRE(forged.err.find("does not belong to the pending login") != std::string::npos);
  REQUIRE(file_exists(remote.credentials() + ".pending")); // a wrong paste does not end the attempt

  auto garbage = remote.login({"--finish", "-"}, "not a url or a code!");
  REQUIRE(garbage.exit_code == 2);
  REQUIRE(garbage.err.find("neither the address the browser landed on nor an authorization code") != std::string::npos);

  auto state = query_parameter(url, "state");
  auto denied =
      remote.login({"--finish", "-"}, "http://localhost:8765/callback?state=" + state +
                                          "&error=access_denied&error_description=User+denied+access+to+resource");
  REQUIRE(denied.exit_code == 3);
  REQUIRE(denied.err.find("error=access_denied (User denied access to resource)") != std::string::npos);
  REQUIRE_FALSE(file_exists(remote.credentials() + ".pending"));
  REQUIRE_FALSE(file_exists(remote.credentials()));
  REQUIRE(remote.emulator.server.state().token_requests().empty());
}

TEST_CASE("two-step: a pending login expires", "[two-step]") {
  auto extra = k_fixed_redirect;
  extra["pending_lifetime"] = "1s";
  Remote remote(extra);
  auto begin = remote.login({"--begin"});
  auto address = remote.landing_address(begin.out.substr(0, begin.out.find('\n')));
  // Age the pending login instead of waiting for it to expire.
  auto pending_file = remote.credentials() + ".pending";
  auto pending = nlohmann::json::parse(read_file(pending_file));
  pending["created_at"] = format_rfc3339(now_seconds() - 2s);
  write_file(pending_file, pending.dump(), 0600);
  auto late = remote.login({"--finish", "-"}, address);
  REQUIRE(late.exit_code == 3);
  REQUIRE(late.err.find("has expired (it lasts 1s)") != std::string::npos);
  REQUIRE_FALSE(file_exists(remote.credentials()));
  REQUIRE_FALSE(file_exists(remote.credentials() + ".pending"));
}

TEST_CASE("two-step: --begin needs a redirect_uri with a real port", "[two-step]") {
  Remote remote; // redirect_uri on port 0
  auto begin = remote.login({"--begin"});
  REQUIRE(begin.exit_code == 2);
  REQUIRE(begin.err.find("has port 0") != std::string::npos);
}

TEST_CASE("manual: with nothing on stdin it ends at once, saying what to use instead", "[manual]") {
  Remote remote(k_fixed_redirect);
  Process manual({keap_auth(), "login", "--manual", "--config", remote.config}); // stdin is /dev/null
  auto result = manual.wait(10s);
  REQUIRE(result.exit_code == 2);
  REQUIRE(result.err.find("/app/oauth/authorize?") != std::string::npos);
  REQUIRE(result.err.find("nothing was pasted on stdin") != std::string::npos);
  REQUIRE(result.err.find("use `--begin` and `--finish` in scripts") != std::string::npos);
  REQUIRE_FALSE(file_exists(remote.credentials()));
}

TEST_CASE("manual: a full round trip through a pipe", "[manual]") {
  Remote remote(k_fixed_redirect);
  // A shell reads the URL keap-auth prints, plays the browser with curl, and pipes the address back.
  auto script = remote.dir.file("answer.sh");
  write_file(script,
             "#!/bin/bash\n"
             "set -euo pipefail\n"
             "coproc KEAP { \"$1\" login --manual --config \"$2\" 2>&1; }\n"
             "pid=$KEAP_PID\n"
             "while read -r line <&\"${KEAP[0]}\"; do\n"
             "  case \"$line\" in http*authorize*) url=\"$line\"; break;; esac\n"
             "done\n"
             "address=$(curl -s -o /dev/null -w '%{redirect_url}' \"$url\")\n"
             "echo \"$address\" >&\"${KEAP[1]}\"\n"
             "cat <&\"${KEAP[0]}\"\n"
             "wait $pid\n",
             0755);
  auto result = run({"/bin/bash", script, keap_auth(), remote.config});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.out.find("signed in to Keap app ab123") != std::string::npos);
  REQUIRE(load_grant(remote.credentials()).app == "ab123");
  auto code = remote.emulator.server.state().token_requests().at(0).code;
  REQUIRE(result.out.find("code=" + code) == std::string::npos); // the pasted address is not printed back
}

TEST_CASE("no login mode waits on a closed stdin", "[stdin]") {
  // A port of its own: tests run in parallel, and the interactive mode binds it.
  Remote remote(nlohmann::json{{"redirect_uri", "http://localhost:" + std::to_string(free_port()) + "/callback"}});
  struct Mode {
    std::vector<std::string> arguments;
    int exit_code;
  };
  for (const auto& mode : std::vector<Mode>{{{"--no-browser", "--timeout", "1s"}, 3},
                                            {{"--manual"}, 2},
                                            {{"--finish", "-"}, 2},
                                            {{"--begin"}, 0},
                                            {{"--finish", "-"}, 2}}) {
    std::vector<std::string> argv{keap_auth(), "login", "--config", remote.config};
    argv.insert(argv.end(), mode.arguments.begin(), mode.arguments.end());
    Process process(argv); // stdin is /dev/null
    auto result = process.wait(15s);
    INFO(argv.back() << ": " << result.err);
    REQUIRE(result.exit_code == mode.exit_code);
  }
}

TEST_CASE("ssh: a session over SSH is told how to forward the port", "[ssh]") {
  auto port = std::to_string(free_port());
  Remote remote(nlohmann::json{{"redirect_uri", "http://localhost:" + port + "/callback"}});
  auto result = remote.login({"--no-browser", "--timeout", "1s"}, std::nullopt,
                             {{"SSH_CONNECTION", "203.0.113.7 52114 198.51.100.2 22"}});
  REQUIRE(result.exit_code == 3);
  REQUIRE(result.err.find("ssh -L " + port + ":127.0.0.1:" + port) != std::string::npos);
  auto local = remote.login({"--no-browser", "--timeout", "1s"});
  REQUIRE(local.err.find("ssh -L") == std::string::npos);
}

TEST_CASE("https: the receiver serves the stored self-signed certificate and reuses it", "[https]") {
  Remote remote(nlohmann::json{{"redirect_uri", "https://localhost:0/callback"}});
  std::map<std::string, std::string> env{{"XDG_CONFIG_HOME", remote.dir.file("xdg")}};
  auto certificate = remote.dir.file("xdg/keap-auth/localhost-cert.pem");
  std::string fingerprint;
  for (int run = 0; run < 2; ++run) {
    auto login = start_login({"--no-browser", "--config", remote.config}, env);
    REQUIRE(query_parameter(login.authorize_url, "redirect_uri").starts_with("https://localhost:"));
    REQUIRE(file_mode(certificate) == 0600);
    REQUIRE(file_mode(remote.dir.file("xdg/keap-auth/localhost-key.pem")) == 0600);
    REQUIRE(file_mode(remote.dir.file("xdg/keap-auth")) == 0700);
    auto page = browse(login.authorize_url, nullptr, certificate); // verified against exactly that certificate
    auto result = login.process->wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(page.body.find("Signed in to Keap") != std::string::npos);
    auto at = result.err.find("SHA-256 fingerprint ");
    REQUIRE(at != std::string::npos);
    auto printed = result.err.substr(at + 20, 95);
    if (run == 0) {
      REQUIRE(result.err.find("made a self-signed certificate") != std::string::npos);
      fingerprint = printed;
    } else {
      REQUIRE(result.err.find("made a self-signed certificate") == std::string::npos);
      REQUIRE(printed == fingerprint);
    }
    REQUIRE(result.err.find("not private") != std::string::npos);
  }
  write_file(certificate, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n", 0600);
  auto login = start_login({"--no-browser", "--config", remote.config}, env);
  browse(login.authorize_url, nullptr, certificate);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.err.find("localhost-cert.pem is damaged; made a new one") != std::string::npos);
  REQUIRE(result.err.find(fingerprint) == std::string::npos);
}

TEST_CASE("https: --tls-cert and --tls-key serve the user's certificate and a mismatch is exit 2", "[https]") {
  Remote remote(nlohmann::json{{"redirect_uri", "https://localhost:0/callback"}});
  std::vector<std::string> notices;
  auto own = net::self_signed_identity(remote.dir.file("mine"), now_seconds(), notices);
  auto other = net::self_signed_identity(remote.dir.file("other"), now_seconds(), notices);
  auto login = start_login({"--no-browser", "--config", remote.config, "--tls-cert", own.certificate_file, "--tls-key",
                            remote.dir.file("mine/localhost-key.pem")});
  auto page = browse(login.authorize_url, nullptr, own.certificate_file);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 0);
  REQUIRE(page.body.find("Signed in to Keap") != std::string::npos);
  REQUIRE(result.err.find("self-signed") == std::string::npos);

  auto mismatch = remote.login(
      {"--no-browser", "--tls-cert", own.certificate_file, "--tls-key", remote.dir.file("other/localhost-key.pem")});
  REQUIRE(mismatch.exit_code == 2);
  REQUIRE(mismatch.err.find("does not belong to --tls-cert") != std::string::npos);
  auto half = remote.login({"--no-browser", "--tls-cert", own.certificate_file});
  REQUIRE(half.exit_code == 2);
  REQUIRE(half.err.find("tls_cert and tls_key go together") != std::string::npos);
  (void)other;
}
