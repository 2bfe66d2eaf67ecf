// Hostile input at the receiver, hostile or broken servers, TLS verification and secret hygiene.
// Every receiver case ends with the real callback still completing the login.
#include "net/tls_identity.hpp"
#include "oauth/token_client.hpp"
#include "store/file_store.hpp"
#include "support/fixtures.hpp"
#include "support/scripted_server.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <filesystem>
#include <set>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace keap;
using namespace keap::util;
using namespace keap::oauth;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

/// Sends raw bytes and returns the first line of the answer (empty when the server just closed).
std::string raw_exchange(int port, const std::string& bytes) {
  int fd = connect_to(port);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto count = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (count <= 0) {
      break; // the server may stop reading and close: that is an answer too
    }
    sent += static_cast<size_t>(count);
  }
  char buffer[256] = {};
  auto count = ::recv(fd, buffer, sizeof buffer - 1, 0);
  ::close(fd);
  std::string answer(buffer, count > 0 ? static_cast<size_t>(count) : 0);
  return answer.substr(0, answer.find("\r\n"));
}

/// A login waiting for the browser, and the way to finish it for real.
struct Waiting {
  Emulator emulator;
  TempDir dir;
  LoginRun login{start_login({"--no-browser", "--config", write_config(dir, emulator)})};
  Url redirect = *parse_url(query_parameter(login.authorize_url, "redirect_uri"));

  void require_real_callback_completes() {
    REQUIRE(login.process->running());
    auto page = browse(login.authorize_url);
    auto result = login.process->wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(page.body.find("Signed in to Keap") != std::string::npos);
    REQUIRE(load_grant(dir.file("keap-credentials.json")).app == "ab123");
  }
};

} // namespace

TEST_CASE("receiver: a 64 KiB URL and 64 KiB of headers are refused quickly", "[hostile]") {
  Waiting waiting;
  auto started = std::chrono::steady_clock::now();
  auto long_url =
      raw_exchange(waiting.redirect.port, "GET " + waiting.redirect.path + "?code=" + std::string(64 * 1024, 'a') +
                                              " HTTP/1.1\r\nHost: " + waiting.redirect.authority() + "\r\n\r\n");
  REQUIRE(long_url == "HTTP/1.1 414 URI Too Long");
  auto long_header = raw_exchange(waiting.redirect.port, "GET " + waiting.redirect.path +
                                                             " HTTP/1.1\r\nHost: " + waiting.redirect.authority() +
                                                             "\r\nX-Junk: " + std::string(64 * 1024, 'b') + "\r\n\r\n");
  REQUIRE((long_header.empty() || long_header.find(" 4") != std::string::npos)); // closed, or a 4xx
  REQUIRE(std::chrono::steady_clock::now() - started < 10s);
  waiting.require_real_callback_completes();
}

namespace {

/// Sends a request line and then header lines without end (up to `total` bytes, or until the server
/// closes); returns the first line of whatever answer came back (empty when the connection was cut).
std::string endless_headers(int port, const std::string& target, const std::string& host, size_t total) {
  int fd = connect_to(port);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string lines;
  while (lines.size() < 64 * 1024) {
    lines += "X-Junk-" + std::to_string(lines.size()) + ": " + std::string(60, 'j') + "\r\n";
  }
  size_t sent = 0;
  if (send_all(fd, "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n")) {
    while (sent < total && send_all(fd, lines)) {
      sent += lines.size();
    }
  }
  char buffer[256] = {};
  auto count = ::recv(fd, buffer, sizeof buffer - 1, 0);
  ::close(fd);
  std::string answer(buffer, count > 0 ? static_cast<size_t>(count) : 0);
  return answer.substr(0, answer.find("\r\n"));
}

} // namespace

TEST_CASE("receiver: 200 MiB of header lines are cut at 16 KiB and cost the login no memory", "[hostile][peers]") {
  Waiting waiting;
  auto answer =
      endless_headers(waiting.redirect.port, waiting.redirect.path, waiting.redirect.authority(), 200 * 1024 * 1024);
  INFO(answer);
  REQUIRE((answer.empty() || answer.find(" 431 ") != std::string::npos));
  // The headers were never kept: the whole login stays as small as a login is.
  REQUIRE(peak_resident_kilobytes(waiting.login.process->pid()) < 64 * 1024);
  waiting.require_real_callback_completes();
}

TEST_CASE("emulator: 200 MiB of header lines are cut, and it goes on serving in bounded memory", "[hostile][peers]") {
  Process emulator({keap_auth(), "emulator", "--port", "0"});
  REQUIRE(emulator.wait_for_err("listening on", 10s));
  auto err = emulator.err();
  auto at = err.find("http://127.0.0.1:");
  REQUIRE(at != std::string::npos);
  int port = std::stoi(err.substr(at + 17));
  auto answer = endless_headers(port, "/crm/rest/v1/contacts", "127.0.0.1:" + std::to_string(port), 200 * 1024 * 1024);
  INFO(answer);
  REQUIRE((answer.empty() || answer.find(" 431 ") != std::string::npos));
  REQUIRE(peak_resident_kilobytes(emulator.pid()) < 64 * 1024);
  httplib::Client client("http://127.0.0.1:" + std::to_string(port));
  auto after = client.Get("/crm/rest/v1/contacts");
  REQUIRE(after);
  REQUIRE(after->status == 401); // still serving, and still Keap's gateway
}

TEST_CASE("client: a token endpoint whose headers never end is refused, and the tokens stay", "[hostile][peers]") {
  ScriptedServer endless([](int fd, const std::atomic<bool>& stopping) {
    read_request_head(fd);
    if (!send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")) {
      return;
    }
    std::string lines;
    for (int i = 0; i < 1000; ++i) {
      lines += "X-Padding-" + std::to_string(i) + ": a\r\n";
    }
    while (!stopping && send_all(fd, lines)) {
    }
  });
  Setup setup;
  auto grant = seed_credentials(setup.emulator, setup.path(), -1h);
  grant.token_url = endless.url() + "/token";
  save_grant(setup.path(), grant);
  auto before = tokens_of(setup.path());
  auto result = setup.keap({"refresh"});
  INFO(result.err);
  REQUIRE(result.exit_code == 5);
  // Which limit is met first depends on how the bytes arrive: 200 lines, or 64 KiB read at once.
  REQUIRE((result.err.find("headers larger than 65536 bytes") != std::string::npos ||
           result.err.find("more than 200 header lines") != std::string::npos));
  REQUIRE(tokens_of(setup.path()) == before);
}

TEST_CASE("client: a token endpoint that sends a header byte a second is cut at the read timeout", "[hostile][peers]") {
  ScriptedServer dribbling([](int fd, const std::atomic<bool>& stopping) {
    read_request_head(fd);
    send_all(fd, "HTTP/1.1 200 OK\r\n");
    // Each byte comes well inside the read timeout, so only a limit on the whole head can end it.
    while (!stopping && send_all(fd, "x")) {
      std::this_thread::sleep_for(500ms);
    }
  });
  Setup setup({}, {{"read_timeout", "2s"}, {"refresh_deadline", "4s"}});
  auto grant = seed_credentials(setup.emulator, setup.path(), -1h);
  grant.token_url = dribbling.url() + "/token";
  save_grant(setup.path(), grant);
  auto started = std::chrono::steady_clock::now();
  auto result = setup.keap({"refresh"});
  INFO(result.err);
  REQUIRE(result.exit_code == 5);
  REQUIRE(result.err.find("no complete response") != std::string::npos);
  // Time is the property here: the exchange may not outlive its own limits (2 s here, with room).
  REQUIRE(std::chrono::steady_clock::now() - started < 20s);
}

TEST_CASE("receiver: 200 junk connections and 40 stalled clients do not block the real callback", "[hostile]") {
  Waiting waiting;
  for (int i = 0; i < 200; ++i) {
    int fd = connect_to(waiting.redirect.port);
    auto junk = std::string(static_cast<size_t>(i % 7) * 13, static_cast<char>(i));
    ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
  std::vector<int> stalled;
  for (int i = 0; i < 40; ++i) {
    int fd = connect_to(waiting.redirect.port);
    if (i % 2 == 0) {
      ::send(fd, "GET /callback?st", 16, MSG_NOSIGNAL); // half a request line, then nothing
    }
    stalled.push_back(fd);
  }
  waiting.require_real_callback_completes(); // while all 40 are still open
  for (int fd : stalled) {
    ::close(fd);
  }
}

TEST_CASE("receiver: other methods, CORS preflights and foreign Origins get nothing a page could read", "[hostile]") {
  Waiting waiting;
  httplib::Client client(waiting.redirect.origin());
  httplib::Headers from_a_page{{"Origin", "https://evil.example"}};
  for (const char* method : {"OPTIONS", "POST", "PUT", "DELETE"}) {
    httplib::Request request;
    request.method = method;
    request.path = waiting.redirect.path;
    request.headers = from_a_page;
    request.headers.emplace("Access-Control-Request-Method", "GET");
    auto response = client.send(request);
    REQUIRE(response);
    INFO(method);
    REQUIRE(response->status >= 400);
    REQUIRE_FALSE(response->has_header("Access-Control-Allow-Origin"));
    REQUIRE(response->get_header_value("Content-Type").starts_with("text/html"));
  }
  auto get = client.Get((waiting.redirect.path + "?state=x&code=y").c_str(), from_a_page);
  REQUIRE(get->status == 400);
  REQUIRE_FALSE(get->has_header("Access-Control-Allow-Origin"));
  REQUIRE(get->get_header_value("X-Frame-Options") == "DENY");
  // A page on another origin that rebinds its DNS name to 127.0.0.1 still sends its own Host.
  REQUIRE(browser_get(waiting.redirect.to_string() + "?state=x",
                      "attacker.example:" + std::to_string(waiting.redirect.port))
              .status == 403);
  waiting.require_real_callback_completes();
}

TEST_CASE("broken token endpoint: every fault is classified, named, and changes nothing", "[hostile][faults]") {
  struct Case {
    const char* fault;
    const char* message;
  };
  for (const auto& test : std::vector<Case>{{"http-500", "answered HTTP 500"},
                                            {"http-502", "answered HTTP 502"},
                                            {"http-503", "answered HTTP 503"},
                                            {"never-ends", "did not end within the time allowed"},
                                            {"slow", "no complete response"},
                                            {"truncated", "no complete response"},
                                            {"huge-body", "larger than 1048576 bytes"},
                                            {"malformed-json", "not a JSON object"},
                                            {"missing-field", "without a usable \"refresh_token\""},
                                            {"wrong-type", "without a usable \"access_token\""},
                                            {"expires-in-zero", "expires_in of 0 seconds"},
                                            {"expires-in-negative", "expires_in of -3600 seconds"},
                                            {"expires-in-absurd", "expires_in of 99999999999999 seconds"}}) {
    DYNAMIC_SECTION(test.fault) {
      Emulator emulator;
      TempDir dir;
      auto config = write_config(dir, emulator, {{"read_timeout", "1s"}, {"connect_timeout", "1s"}});
      auto path = dir.file("keap-credentials.json");
      seed_credentials(emulator, path, -1h);
      emulator.server.state().set_token_fault(emulator::named_fault(test.fault));
      auto before = tokens_of(path);
      for (const char* command : {"refresh", "token", "whoami"}) {
        auto result = run({keap_auth(), command, "--config", config});
        INFO(command << ": " << result.err);
        REQUIRE(result.exit_code == 5);
        REQUIRE(result.err.find(emulator.server.base_url() + "/token") != std::string::npos);
        REQUIRE(result.err.find(test.message) != std::string::npos);
        REQUIRE(tokens_of(path) == before);
        REQUIRE(load_grant(path).last_refresh_failure->kind == "unavailable"); // for status to tell
      }
    }
  }
}

TEST_CASE("broken userinfo endpoint: whoami says which endpoint and what", "[hostile][faults]") {
  Emulator emulator;
  TempDir dir;
  auto config = write_config(dir, emulator, {{"read_timeout", "1s"}, {"connect_timeout", "1s"}});
  seed_credentials(emulator, dir.file("keap-credentials.json"), 2h);
  emulator.server.state().set_userinfo_fault(emulator::named_fault("http-503"));
  auto unavailable = run({keap_auth(), "whoami", "--config", config});
  REQUIRE(unavailable.exit_code == 5);
  REQUIRE(unavailable.err.find("userinfo endpoint " + emulator.server.base_url()) != std::string::npos);
  emulator.server.state().set_userinfo_fault(emulator::named_fault("huge-body"));
  auto huge = run({keap_auth(), "whoami", "--config", config});
  REQUIRE(huge.exit_code == 5);
  REQUIRE(huge.err.find("larger than 1048576 bytes") != std::string::npos);
}

TEST_CASE("login: a broken token endpoint fails the login with exit 5 and tells the browser", "[hostile][faults]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login({"--no-browser", "--config", write_config(dir, emulator, {{"read_timeout", "1s"}})});
  emulator.server.state().set_token_fault(emulator::named_fault("truncated"));
  auto page = browse(login.authorize_url);
  auto result = login.process->wait();
  REQUIRE(result.exit_code == 5);
  REQUIRE(page.body.find("Sign-in failed") != std::string::npos);
  REQUIRE_FALSE(file_exists(dir.file("keap-credentials.json")));
}

TEST_CASE("tls: a certificate keap-auth does not trust fails every command with exit 5 and the ca_file hint", "[tls]") {
  TempDir certificates;
  std::vector<std::string> notices;
  auto identity = net::self_signed_identity(certificates.path(), now_seconds(), notices);
  emulator::Server server(emulator_settings(), 0, &identity);
  server.start();
  REQUIRE(server.base_url().starts_with("https://127.0.0.1:"));
  TempDir dir;
  nlohmann::json config = {{"client_id", k_client_id},
                           {"client_secret", k_client_secret},
                           {"redirect_uri", "http://localhost:0/callback"},
                           {"authorize_url", server.base_url() + "/app/oauth/authorize"},
                           {"token_url", server.base_url() + "/token"},
                           {"userinfo_url", server.base_url() + "/crm/rest/v1/oauth/connect/userinfo"},
                           {"credentials_file", "keap-credentials.json"}};
  write_file(dir.file("untrusted.json"), config.dump(), 0600);
  config["ca_file"] = identity.certificate_file;
  write_file(dir.file("trusted.json"), config.dump(), 0600);

  auto body = nlohmann::json::parse(server.state().mint_tokens(now_seconds()).body);
  auto credentials = oauth::grant_from_response(
      {body["access_token"], body["refresh_token"], "bearer", body["scope"], 60},
      {*parse_url(server.base_url() + "/token"), TokenAuth::keap, k_client_id, k_client_secret}, now_seconds());
  auto path = dir.file("keap-credentials.json");
  save_grant(path, credentials);
  auto before = tokens_of(path);
  for (const char* command : {"refresh", "token", "whoami"}) {
    auto result = run({keap_auth(), command, "--config", dir.file("untrusted.json")});
    INFO(command << ": " << result.err);
    REQUIRE(result.exit_code == 5);
    REQUIRE(result.err.find("TLS certificate of " + server.base_url()) != std::string::npos);
    REQUIRE(result.err.find("certificate problem") != std::string::npos);
    REQUIRE(result.err.find("ca_file") != std::string::npos);
    REQUIRE(tokens_of(path) == before);
  }
  // A certificate that fails verification fails again: it is tried once, never retried.
  auto verbose = run({keap_auth(), "refresh", "--verbose", "--config", dir.file("untrusted.json")});
  REQUIRE(verbose.exit_code == 5);
  REQUIRE(verbose.err.find("trying again") == std::string::npos);
  auto first_post = verbose.err.find("keap-auth: > POST");
  REQUIRE(first_post != std::string::npos);
  REQUIRE(verbose.err.find("keap-auth: > POST", first_post + 1) == std::string::npos);
  // The login's code exchange too; the browser is told.
  auto login = start_login({"--no-browser", "--config", dir.file("untrusted.json")});
  httplib::Client client(server.base_url());
  client.set_ca_cert_path(identity.certificate_file);
  auto approved =
      client.Get((parse_url(login.authorize_url)->path + "?" + parse_url(login.authorize_url)->query).c_str());
  auto page = browse(approved->get_header_value("Location"));
  REQUIRE(login.process->wait().exit_code == 5);
  REQUIRE(page.body.find("certificate") != std::string::npos);

  // Trusting exactly that certificate through ca_file makes every command work.
  for (const char* command : {"refresh", "token", "whoami"}) {
    auto result = run({keap_auth(), command, "--config", dir.file("trusted.json")});
    INFO(command << ": " << result.err);
    REQUIRE(result.exit_code == 0);
  }
}

TEST_CASE("secrets: no output of any command in any mode carries a secret", "[secrets]") {
  Emulator emulator;
  TempDir dir;
  auto config = write_config(dir, emulator, {{"redirect_uri", "http://localhost:0/callback"}});
  auto two_step = dir.file("two-step.json");
  auto fixed = nlohmann::json::parse(read_file(config));
  fixed["redirect_uri"] = "http://localhost:8765/callback";
  write_file(two_step, fixed.dump(), 0600);
  auto path = dir.file("keap-credentials.json");
  std::string everything;
  std::set<std::string> secrets{k_client_secret};
  auto remember = [&] {
    if (file_exists(path)) {
      auto credentials = load_grant(path);
      secrets.insert(credentials.access_token);
      secrets.insert(credentials.refresh_token);
    }
  };
  for (bool verbose : {false, true}) {
    std::vector<std::string> v = verbose ? std::vector<std::string>{"--verbose"} : std::vector<std::string>{};
    auto args = [&](std::vector<std::string> command, const std::string& which) {
      command.insert(command.begin(), keap_auth());
      command.insert(command.end(), v.begin(), v.end());
      command.insert(command.end(), {"--config", which});
      return command;
    };
    auto login_args = args({"--no-browser", "--json"}, config);
    login_args.erase(login_args.begin());
    auto login = start_login(login_args);
    auto page = browse(login.authorize_url);
    auto result = login.process->wait();
    REQUIRE(result.exit_code == 0);
    everything += result.out + result.err + page.body;
    remember();
    auto begin = run(args({"login", "--begin", "--json"}, two_step));
    auto landing = browser_get(nlohmann::json::parse(begin.out)["authorize_url"]).location;
    auto finish = run(args({"login", "--finish", "-"}, two_step), {}, {}, landing);
    REQUIRE(finish.exit_code == 0);
    everything += begin.out + begin.err + finish.out + finish.err;
    remember();
    for (auto command : std::vector<std::vector<std::string>>{{"refresh"},
                                                              {"status"},
                                                              {"status", "--json"},
                                                              {"whoami"},
                                                              {"whoami", "--json"},
                                                              {"token", "--min-valid", "48h"},
                                                              {"token"}}) {
      auto ran = run(args(command, config));
      INFO(command.front() << ": " << ran.err);
      REQUIRE(ran.exit_code == 0);
      everything += ran.err + (command.front() == "token" ? "" : ran.out); // token's stdout is the token itself
      remember();
    }
  }
  for (const auto& request : emulator.server.state().token_requests()) {
    secrets.insert(request.refresh_token);
    if (!request.code.empty()) {
      secrets.insert(request.code);
    }
    if (!request.code_verifier.empty()) {
      secrets.insert(request.code_verifier);
    }
  }
  secrets.erase("");
  REQUIRE(secrets.size() > 20);
  REQUIRE(everything.find("> POST " + emulator.server.base_url() + "/token") != std::string::npos); // verbose ran
  REQUIRE(everything.find("[redacted]") != std::string::npos);
  for (const auto& secret : secrets) {
    INFO("secret: " << secret);
    REQUIRE(everything.find(secret) == std::string::npos);
  }
}

TEST_CASE("files: 0600 and 0700 whatever the umask, and a symlinked credentials path is followed", "[files]") {
  Emulator emulator;
  TempDir dir;
  std::filesystem::create_directory(dir.file("deep"));
  auto config = write_config(dir, emulator, {{"credentials_file", "deep/er/keap-credentials.json"}});
  auto login = start_login({"--no-browser", "--config", config}, {}, 0);
  browse(login.authorize_url);
  auto logged_in = login.process->wait();
  REQUIRE(logged_in.exit_code == 0);
  REQUIRE(logged_in.err.find("created the folder " + dir.file("deep/er") + " (mode 0700)") != std::string::npos);
  auto refresh =
      run({keap_auth(), "refresh", "--config", config}, {}, {}, std::nullopt, Limits{std::nullopt, std::nullopt, 0});
  REQUIRE(refresh.exit_code == 0);
  REQUIRE(file_mode(dir.file("deep/er")) == 0700);
  REQUIRE(file_mode(dir.file("deep/er/keap-credentials.json")) == 0600);
  REQUIRE(file_mode(dir.file("deep/er/keap-credentials.json.lock")) == 0600);

  // A deployment links a fixed path to the real file: the link stays, the target is replaced.
  auto link = dir.file("linked-credentials.json");
  std::filesystem::create_symlink(dir.file("deep/er/keap-credentials.json"), link);
  auto before = load_grant(link).refresh_token;
  auto through_link = run({keap_auth(), "refresh", "--config", config, "--credentials", link}, {}, {}, std::nullopt,
                          Limits{std::nullopt, std::nullopt, 0});
  REQUIRE(through_link.exit_code == 0);
  REQUIRE(std::filesystem::is_symlink(link));
  REQUIRE(load_grant(dir.file("deep/er/keap-credentials.json")).refresh_token != before);
  REQUIRE(file_mode(dir.file("deep/er/keap-credentials.json")) == 0600);
}

TEST_CASE("stdin: every read of it is capped, with a message naming the flag", "[hostile][stdin]") {
  Setup setup({}, {{"redirect_uri", "http://localhost:8765/callback"}}); // --begin needs a fixed port
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto huge =
      setup.keap_with_input({"api", "-X", "POST", "v1/contacts", "--input", "-"}, std::string(65 * 1024 * 1024, 'x'));
  REQUIRE(huge.exit_code == 2);
  REQUIRE(huge.err.find("--input: stdin holds more than 65536 KiB") != std::string::npos);
  REQUIRE(setup.emulator.server.rest().requests().empty());
  auto begun = setup.keap({"login", "--begin"});
  REQUIRE(begun.exit_code == 0);
  auto pasted = setup.keap_with_input({"login", "--finish", "-"}, std::string(100 * 1024, 'c'));
  REQUIRE(pasted.exit_code == 2);
  REQUIRE(pasted.err.find("--finish -: stdin holds more than 64 KiB") != std::string::npos);
  auto manual = setup.keap_with_input({"login", "--manual"}, std::string(100 * 1024, 'c') + "\n");
  REQUIRE(manual.exit_code == 2);
  REQUIRE(manual.err.find("a line longer than 64 KiB") != std::string::npos);
}

TEST_CASE("secrets: a running keap-auth keeps its memory from core dumps and from its own user", "[secrets]") {
  UserHome user;
  if (!user.other) {
    WARN("skipped: only root can run keap-auth as another user, whose /proc the kernel then hides");
    return;
  }
  Emulator emulator;
  TempDir dir;
  auto config = user.home.file("keap-auth.json");
  write_file(config, read_file(write_config(dir, emulator)), 0600);
  user.give(config);
  Process login({user.program(), "login", "--no-browser", "--config", config}, user.env(), {}, std::nullopt,
                user.limits());
  REQUIRE(login.wait_for_err("\n\n", 10s));
  auto proc = "/proc/" + std::to_string(login.pid());
  struct stat info {};
  REQUIRE(::stat((proc + "/status").c_str(), &info) == 0);
  // The kernel gives a process that is not dumpable to root: its own user cannot ptrace it or read its
  // memory, and no core is written.
  REQUIRE(info.st_uid == 0);
  auto limits = read_file(proc + "/limits");
  auto core = limits.substr(limits.find("Max core file size"));
  core = core.substr(0, core.find('\n'));
  INFO(core);
  REQUIRE(core.find(" 0 ") != std::string::npos);
  login.send_signal(SIGTERM);
  login.wait();
}
