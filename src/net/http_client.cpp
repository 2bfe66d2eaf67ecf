#include "net/http_client.hpp"

#include "core/redaction.hpp"
#include "core/version.hpp"

#include <httplib.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>

namespace keap::net {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// Why the content receiver stopped reading.
enum class Cancel { none, too_large, too_slow };

TransportError transport_error(const HttpRequest& request, httplib::Error error, long verify_result,
                               const HttpOptions& options, Cancel cancel) {
  std::string endpoint = request.url.without_query();
  if (error == httplib::Error::Canceled && cancel == Cancel::too_slow) {
    return TransportError(TransportFailure::too_slow,
                          "the response from " + endpoint + " did not end within the time allowed; refused",
                          "the server may be overloaded; try again later (read_timeout and refresh_deadline set "
                          "the limits)");
  }
  switch (error) {
  case httplib::Error::SSLServerVerification:
    return TransportError(TransportFailure::tls_verification,
                          "the TLS certificate of " + endpoint + " could not be verified (" +
                              X509_verify_cert_error_string(verify_result) + ")",
                          "this is a certificate problem: if the server uses a private CA, set \"ca_file\" in the "
                          "config to a PEM file with that CA's certificate");
  case httplib::Error::SSLConnection:
    return TransportError(TransportFailure::tls_handshake, "the TLS handshake with " + endpoint + " failed",
                          "check that the URL's scheme and port are right");
  case httplib::Error::SSLLoadingCerts:
    return TransportError(TransportFailure::tls_handshake,
                          "cannot load the trusted certificates" +
                              (options.ca_file.empty() ? "" : " from " + options.ca_file),
                          "check that \"ca_file\" names a readable PEM file");
  case httplib::Error::Connection:
    return TransportError(TransportFailure::not_connected, "cannot connect to " + endpoint,
                          "check the network and the URL; the server may be down");
  case httplib::Error::ConnectionTimeout:
    return TransportError(TransportFailure::not_connected, "connecting to " + endpoint + " timed out",
                          "try again later");
  case httplib::Error::Read:
    return TransportError(TransportFailure::no_answer,
                          "no complete response from " + endpoint + " (read failed or timed out)", "try again later");
  case httplib::Error::Canceled:
    return TransportError(TransportFailure::too_large, "the response from " + endpoint + " is larger than " +
                                                           std::to_string(options.max_body) + " bytes; refused");
  default:
    return TransportError(TransportFailure::no_answer,
                          "request to " + endpoint + " failed: " + httplib::to_string(error));
  }
}

/// The system's CA store plus the user's extra CAs. httplib takes ownership.
X509_STORE* trust_store(const std::string& ca_file) {
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr || X509_STORE_set_default_paths(store) != 1 ||
      X509_STORE_load_file(store, ca_file.c_str()) != 1) {
    X509_STORE_free(store);
    throw TransportError(TransportFailure::tls_handshake,
                         "ca_file " + ca_file + " cannot be loaded as PEM certificates",
                         "set \"ca_file\" to a readable PEM file");
  }
  return store;
}

std::string logged_body(const std::string& body, const std::string& content_type) {
  if (body.empty()) {
    return "";
  }
  if (content_type.starts_with("application/x-www-form-urlencoded")) {
    return " body: " + redact_form(body);
  }
  return " body: " + redact_body(body);
}

} // namespace

std::string user_agent() { return std::string("keap-auth/") + version(); }

std::string HttpResponse::header(std::string_view name) const {
  auto wanted = lower(std::string(name));
  for (const auto& [key, value] : headers) {
    if (key == wanted) {
      return value;
    }
  }
  return {};
}

HttpClient::HttpClient(HttpOptions options) : m_options(std::move(options)) {}

HttpClient::~HttpClient() = default;

httplib::Client& HttpClient::client_for(const util::Url& url) {
  auto& client = m_clients[url.origin()];
  if (!client) {
    client = std::make_unique<httplib::Client>(url.origin());
    client->set_follow_location(false);
    client->set_keep_alive(true);
    client->enable_server_certificate_verification(true);
    if (url.scheme == "https" && !m_options.ca_file.empty()) {
      client->set_ca_cert_store(trust_store(m_options.ca_file));
    }
  }
  return *client;
}

void HttpClient::log_request(const HttpRequest& request) const {
  std::string line = "> " + request.method + " " + request.url.without_query() +
                     (request.url.query.empty() ? "" : "?" + redact_form(request.url.query));
  for (const auto& [name, value] : request.headers) {
    line += " (" + name + ": " + redact_header(name, value) + ")";
  }
  m_options.log(line + logged_body(request.body, request.content_type));
}

HttpResponse HttpClient::send(const HttpRequest& request, std::optional<Clock::time_point> deadline) {
  auto started = Clock::now();
  // One exchange never takes longer than connect + 2 x read timeout, and never past the caller's deadline.
  auto end = started + m_options.connect_timeout + 2 * m_options.read_timeout;
  if (deadline && *deadline < end) {
    end = *deadline;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - started);
  if (left.count() <= 0) {
    throw TransportError(TransportFailure::not_connected,
                         "no time is left to reach " + request.url.without_query() + " (the deadline passed)");
  }
  auto& client = client_for(request.url);
  client.set_connection_timeout(std::min<std::chrono::milliseconds>(m_options.connect_timeout, left));
  client.set_read_timeout(std::min<std::chrono::milliseconds>(m_options.read_timeout, left));
  client.set_write_timeout(std::min<std::chrono::milliseconds>(m_options.read_timeout, left));

  httplib::Request http_request;
  http_request.method = request.method;
  http_request.path = request.url.path + (request.url.query.empty() ? "" : "?" + request.url.query);
  http_request.headers = {{"User-Agent", user_agent()}};
  for (const auto& [name, value] : request.headers) {
    http_request.headers.emplace(name, value);
  }
  if (!request.content_type.empty()) {
    http_request.headers.emplace("Content-Type", request.content_type);
  }
  http_request.body = request.body;

  HttpResponse response;
  Cancel cancel = Cancel::none;
  http_request.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    if (response.body.size() + length > m_options.max_body) {
      cancel = Cancel::too_large;
      return false;
    }
    if (Clock::now() > end) {
      cancel = Cancel::too_slow;
      return false;
    }
    response.body.append(data, length);
    return true;
  };
  if (m_options.log) {
    log_request(request);
  }
  auto result = client.send(http_request);
  if (m_options.log) {
    auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    auto type = result ? result->get_header_value("Content-Type") : std::string{};
    m_options.log(
        "< " + (result ? std::to_string(result->status) : "no response (" + httplib::to_string(result.error()) + ")") +
        " in " + std::to_string(milliseconds) + " ms" + (result ? logged_body(response.body, type) : ""));
  }
  if (!result) {
    throw transport_error(request, result.error(), client.get_openssl_verify_result(), m_options, cancel);
  }
  response.status = result->status;
  for (const auto& [name, value] : result->headers) {
    response.headers.emplace_back(lower(name), value);
  }
  return response;
}

} // namespace keap::net
