#include "support/fixtures.hpp"

#include "oauth/token_client.hpp"
#include "store/file_store.hpp"
#include "util/atomic_file.hpp"
#include "util/encoding.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keap::test {

std::string keap_auth() { return KEAP_AUTH_BINARY; }

emulator::Settings emulator_settings() {
  emulator::Settings settings;
  settings.client_id = k_client_id;
  settings.client_secret = k_client_secret;
  settings.auto_approve = true;
  settings.enforce_pkce = true;
  return settings;
}

Emulator::Emulator(emulator::Settings settings, emulator::RestSettings rest)
    : server(std::move(settings), 0, nullptr, std::move(rest)) {
  server.start();
}

std::string write_config(const TempDir& dir, const Emulator& emulator, const nlohmann::json& extra) {
  auto base = emulator.server.base_url();
  nlohmann::json config = {{"client_id", k_client_id},
                           {"client_secret", k_client_secret},
                           {"redirect_uri", "http://localhost:0/callback"},
                           {"authorize_url", base + "/app/oauth/authorize"},
                           {"token_url", base + "/token"},
                           {"userinfo_url", base + "/crm/rest/v1/oauth/connect/userinfo"},
                           {"api_base_url", base + "/crm/rest"},
                           {"credentials_file", "keap-credentials.json"}};
  if (extra.is_object()) {
    config.update(extra);
  }
  auto path = dir.file("keap-auth.json");
  write_file(path, config.dump(2), 0600);
  return path;
}

OAuthGrant seed_credentials(Emulator& emulator, const std::string& path, std::chrono::seconds access_left,
                            std::chrono::seconds refresh_age) {
  auto reply = emulator.server.state().mint_tokens(util::now_seconds());
  auto body = nlohmann::json::parse(reply.body);
  oauth::TokenResponse response{body["access_token"], body["refresh_token"], body["token_type"], body["scope"],
                                body["expires_in"]};
  auto now = util::now_seconds();
  oauth::TokenEndpoint client{*util::parse_url(emulator.server.base_url() + "/token"), TokenAuth::keap, k_client_id,
                              k_client_secret};
  auto grant = oauth::grant_from_response(response, client, now - refresh_age);
  grant.expires_at = now + access_left;
  save_grant(path, grant);
  return grant;
}

void kill_refresh_token(Emulator& emulator, const OAuthGrant& grant) {
  auto rotated = emulator.server.state().token(
      {"application/x-www-form-urlencoded", "Basic " + util::base64(k_client_id + ":" + k_client_secret),
       util::form_encode({{"grant_type", "refresh_token"}, {"refresh_token", grant.refresh_token}})},
      util::now_seconds());
  if (rotated.status != 200) {
    throw std::runtime_error("the emulator did not rotate the refresh token: " + rotated.body);
  }
}

OAuthGrant load_grant(const std::string& path) {
  auto loaded = store::read_credentials_file(path);
  if (!loaded) {
    throw std::runtime_error("no credentials file at " + path);
  }
  return std::get<OAuthGrant>(loaded->credential);
}

std::string tokens_of(const std::string& path) {
  auto grant = load_grant(path);
  grant.last_refresh_failure.reset();
  return serialize_credential(grant);
}

void save_grant(const std::string& path, const OAuthGrant& grant) {
  util::write_file_atomically(path, serialize_credential(grant));
}

bool wait_for_token_requests(Emulator& emulator, size_t count, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (emulator.server.state().token_requests().size() >= count) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

size_t refresh_grants(Emulator& emulator, int status) {
  size_t count = 0;
  for (const auto& request : emulator.server.state().token_requests()) {
    if (request.grant_type == "refresh_token" && (status == 0 || request.status == status)) {
      ++count;
    }
  }
  return count;
}

LoginRun start_login(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& env,
                     std::optional<unsigned> umask) {
  std::vector<std::string> argv{keap_auth(), "login"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  LoginRun run{std::make_unique<Process>(argv, env, "", std::nullopt, Limits{std::nullopt, std::nullopt, umask}), ""};
  if (!run.process->wait_for_err("\n\n", std::chrono::seconds(10))) {
    return run; // the caller asserts on the exit code and message
  }
  run.authorize_url = printed_authorize_url(run.process->err());
  return run;
}

std::string printed_authorize_url(const std::string& err) {
  auto start = err.find("  http");
  if (start == std::string::npos) {
    return {};
  }
  auto end = err.find('\n', start);
  return err.substr(start + 2, end - start - 2);
}

namespace {

Page to_page(const httplib::Result& result) {
  if (!result) {
    throw std::runtime_error("request failed: " + httplib::to_string(result.error()));
  }
  Page page{result->status, result->get_header_value("Location"), result->body, {}};
  for (const auto& [name, value] : result->headers) {
    page.headers.emplace(name, value);
  }
  return page;
}

} // namespace

Page browser_get(const std::string& url, const std::string& host_header, const std::string& trusted_certificate) {
  // cpp-httplib hands Location headers back percent-decoded: a blank goes back to %20, as a browser sends it.
  std::string encoded;
  for (char c : url) {
    encoded += c == ' ' ? std::string("%20") : std::string(1, c);
  }
  auto parsed = util::parse_url(encoded);
  if (!parsed) {
    throw std::runtime_error("not a URL: " + url);
  }
  httplib::Client client(parsed->origin());
  client.set_read_timeout(std::chrono::seconds(30));
  if (!trusted_certificate.empty()) {
    client.set_ca_cert_path(trusted_certificate);
  }
  httplib::Headers headers;
  if (!host_header.empty()) {
    headers.emplace("Host", host_header);
  }
  return to_page(client.Get(parsed->path + (parsed->query.empty() ? "" : "?" + parsed->query), headers));
}

Page browser_post_form(const std::string& url, const util::Parameters& form) {
  auto parsed = util::parse_url(url);
  httplib::Client client(parsed->origin());
  return to_page(client.Post(parsed->path, util::form_encode(form), "application/x-www-form-urlencoded"));
}

Page browse(std::string url, std::vector<std::string>* visited, const std::string& trusted_certificate) {
  for (int hop = 0; hop < 5; ++hop) {
    if (visited) {
      visited->push_back(url);
    }
    auto page = browser_get(url, {}, trusted_certificate);
    if (page.status < 300 || page.status >= 400 || page.location.empty()) {
      return page;
    }
    url = page.location.starts_with("/") ? util::parse_url(url)->origin() + page.location : page.location;
  }
  throw std::runtime_error("too many redirects");
}

emulator::Fault fault(int status, std::string body, std::string content_type, std::string retry_after,
                      std::chrono::milliseconds delay, int count) {
  emulator::Fault result;
  result.status = status;
  result.body = std::move(body);
  result.content_type = std::move(content_type);
  result.retry_after = std::move(retry_after);
  result.delay = delay;
  result.count = count;
  return result;
}

emulator::Fault slow_answer(std::chrono::milliseconds delay, int count) { return fault(0, "", "", "", delay, count); }

Setup::Setup(emulator::Settings settings, nlohmann::json extra, emulator::RestSettings rest)
    : emulator(std::move(settings), std::move(rest)) {
  config = write_config(dir, emulator, extra);
}

ProcessResult Setup::keap(std::vector<std::string> arguments, const std::map<std::string, std::string>& env,
                          const Limits& limits) {
  arguments.insert(arguments.begin(), keap_auth());
  arguments.insert(arguments.end(), {"--config", config});
  return run(arguments, env, {}, std::nullopt, limits);
}

ProcessResult Setup::keap_with_input(std::vector<std::string> arguments, const std::string& input,
                                     const std::map<std::string, std::string>& env) {
  arguments.insert(arguments.begin(), keap_auth());
  arguments.insert(arguments.end(), {"--config", config});
  return run(arguments, env, {}, input);
}

std::unique_ptr<Process> Setup::start(std::vector<std::string> arguments,
                                      const std::map<std::string, std::string>& env) {
  arguments.insert(arguments.begin(), keap_auth());
  arguments.insert(arguments.end(), {"--config", config});
  return std::make_unique<Process>(arguments, env);
}

ProcessResult run_on_terminal(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& env,
                              const std::optional<std::string>& input) {
  std::string command;
  for (const auto& argument : arguments) {
    REQUIRE(argument.find('\'') == std::string::npos);
    command += (command.empty() ? "'" : " '") + argument + "'";
  }
  auto environment = env;
  environment.emplace("TERM", "xterm");
  return run({"/usr/bin/script", "--quiet", "--flush", "--return", "--command", command, "/dev/null"}, environment, {},
             input);
}

UserHome::UserHome() : other(::geteuid() == 0), uid(other ? 65534 : ::geteuid()) {
  std::filesystem::copy_file(keap_auth(), home.file("keap-auth"));
  std::filesystem::copy_file(KEAP_AUTH_FULL_BINARY, home.file("keap-auth-full"));
  ::chmod(home.path().c_str(), 0755);
  give(home.path());
}

void UserHome::give(const std::string& path) const {
  if (::chown(path.c_str(), uid, uid) != 0) {
    throw std::runtime_error("cannot give " + path + " to the test user");
  }
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
      if (::chown(entry.path().c_str(), uid, uid) != 0) {
        throw std::runtime_error("cannot give " + entry.path().string() + " to the test user");
      }
    }
  }
}

Limits UserHome::limits() const {
  return Limits{other ? std::optional<uid_t>(uid) : std::nullopt, std::nullopt, std::nullopt};
}

std::map<std::string, std::string> UserHome::env() const {
  return {{"HOME", home.path()},
          {"XDG_STATE_HOME", home.file("state")},
          {"XDG_CONFIG_HOME", home.file("config")},
          {"XDG_CACHE_HOME", home.file("cache")},
          {"TMPDIR", home.file("tmp")}};
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string query_parameter(const std::string& url, const std::string& name) {
  // Split by hand: cpp-httplib hands Location headers back percent-decoded, blanks and all.
  auto question = url.find('?');
  auto query = question == std::string::npos ? std::string() : url.substr(question + 1, url.find('#') - question - 1);
  auto parameters = util::parse_form(query);
  for (const auto& [key, value] : parameters.value_or(util::Parameters{})) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

nlohmann::json json_of(const ProcessResult& result) {
  auto json = nlohmann::json::parse(result.out, nullptr, false);
  if (json.is_discarded()) {
    throw std::runtime_error("stdout is not JSON:\n" + result.out + "\nstderr:\n" + result.err);
  }
  return json;
}

} // namespace keap::test
