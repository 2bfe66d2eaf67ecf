#include "support/fixtures.hpp"

#include "credential_store.hpp"

#include <httplib.h>

#include <stdexcept>

#include <netinet/in.h>
#include <sys/socket.h>
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

Emulator::Emulator(emulator::Settings settings) : server(std::move(settings), 0) { server.start(); }

std::string write_config(const TempDir& dir, const Emulator& emulator, const nlohmann::json& extra) {
  auto base = emulator.server.base_url();
  nlohmann::json config = {{"client_id", k_client_id},
                           {"client_secret", k_client_secret},
                           {"redirect_uri", "http://localhost:0/callback"},
                           {"authorize_url", base + "/app/oauth/authorize"},
                           {"token_url", base + "/token"},
                           {"userinfo_url", base + "/crm/rest/v1/oauth/connect/userinfo"},
                           {"credentials_file", "keap-credentials.json"}};
  if (extra.is_object()) {
    config.update(extra);
  }
  auto path = dir.file("keap-auth.json");
  write_file(path, config.dump(2), 0600);
  return path;
}

Credentials seed_credentials(Emulator& emulator, const std::string& path, std::chrono::seconds access_left,
                             std::chrono::seconds refresh_age) {
  auto reply = emulator.server.state().mint_tokens(now_seconds());
  auto body = nlohmann::json::parse(reply.body);
  TokenResponse response{body["access_token"], body["refresh_token"], body["token_type"], body["scope"],
                         body["expires_in"]};
  auto now = now_seconds();
  auto credentials = make_credentials(response, {k_client_id, k_client_secret, emulator.server.base_url() + "/token"},
                                      now - refresh_age);
  credentials.expires_at = now + access_left;
  save_credentials(path, credentials);
  return credentials;
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

LoginRun start_login(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{keap_auth(), "login"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  LoginRun run{std::make_unique<Process>(argv, env), ""};
  if (!run.process->wait_for_err("\n\n", std::chrono::seconds(10))) {
    return run; // the caller asserts on the exit code and message
  }
  auto err = run.process->err();
  auto start = err.find("  http");
  if (start != std::string::npos) {
    auto end = err.find('\n', start);
    run.authorize_url = err.substr(start + 2, end - start - 2);
  }
  return run;
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
  auto parsed = parse_url(url);
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

Page browser_post_form(const std::string& url, const Parameters& form) {
  auto parsed = parse_url(url);
  httplib::Client client(parsed->origin());
  return to_page(client.Post(parsed->path, form_encode(form), "application/x-www-form-urlencoded"));
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
    url = page.location.starts_with("/") ? parse_url(url)->origin() + page.location : page.location;
  }
  throw std::runtime_error("too many redirects");
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
  auto parsed = parse_url(url);
  auto parameters = parse_form(parsed ? parsed->query : "");
  for (const auto& [key, value] : parameters.value_or(Parameters{})) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

} // namespace keap::test
