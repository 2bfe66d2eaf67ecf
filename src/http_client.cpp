#include "http_client.hpp"

#include "error.hpp"
#include "redaction.hpp"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace keap {

namespace {

const std::string k_user_agent = std::string("keap-auth/") + KEAP_AUTH_VERSION;

/// Why the content receiver stopped reading.
enum class Cancel { none, too_large, too_slow };

TransportError transport_error(const HttpRequest& request, httplib::Error error, long verify_result,
                               const HttpOptions& options, Cancel cancel) {
  std::string endpoint = request.url.origin() + request.url.path;
  if (error == httplib::Error::Canceled && cancel == Cancel::too_slow) {
    return TransportError(true, "the response from " + endpoint + " did not end within " +
                                    std::to_string(options.total_timeout().count()) + " seconds; refused",
                          "the server may be overloaded; try again later (read_timeout sets the limit)");
  }
  switch (error) {
  case httplib::Error::SSLServerVerification:
    return TransportError(false,
                          "the TLS certificate of " + endpoint + " could not be verified (" +
                              X509_verify_cert_error_string(verify_result) + ")",
                          "this is a certificate problem: if the server uses a private CA, set \"ca_file\" in the "
                          "config to a PEM file with that CA's certificate");
  case httplib::Error::SSLConnection:
    return TransportError(false, "the TLS handshake with " + endpoint + " failed",
                          "check that the URL's scheme and port are right");
  case httplib::Error::SSLLoadingCerts:
    return TransportError(false, "cannot load the trusted certificates" +
                                     (options.ca_file.empty() ? "" : " from " + options.ca_file),
                          "check that \"ca_file\" names a readable PEM file");
  case httplib::Error::Connection:
    return TransportError(false, "cannot connect to " + endpoint, "check the network and the URL; the server may be down");
  case httplib::Error::ConnectionTimeout:
    return TransportError(false, "connecting to " + endpoint + " timed out", "try again later");
  case httplib::Error::Read:
    return TransportError(true, "no complete response from " + endpoint + " (read failed or timed out)",
                          "try again later");
  case httplib::Error::Canceled:
    return TransportError(true, "the response from " + endpoint + " is larger than " +
                                    std::to_string(options.max_body) + " bytes; refused");
  default:
    return TransportError(true, "request to " + endpoint + " failed: " + httplib::to_string(error));
  }
}

/// The system's CA store plus the user's extra CAs. httplib takes ownership.
X509_STORE* trust_store(const std::string& ca_file) {
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr || X509_STORE_set_default_paths(store) != 1 ||
      X509_STORE_load_file(store, ca_file.c_str()) != 1) {
    X509_STORE_free(store);
    throw Error(ExitCode::usage, "ca_file " + ca_file + " cannot be loaded as PEM certificates",
                "set \"ca_file\" to a readable PEM file");
  }
  return store;
}

} // namespace

HttpResponse send_request(const HttpRequest& request, const HttpOptions& options) {
  httplib::Client client(request.url.origin());
  client.set_connection_timeout(options.connect_timeout);
  client.set_read_timeout(options.read_timeout);
  client.set_write_timeout(options.read_timeout);
  client.set_follow_location(false);
  client.set_keep_alive(false);
  client.enable_server_certificate_verification(true);
  if (request.url.scheme == "https" && !options.ca_file.empty()) {
    client.set_ca_cert_store(trust_store(options.ca_file));
  }

  httplib::Request http_request;
  http_request.method = request.method;
  http_request.path = request.url.path + (request.url.query.empty() ? "" : "?" + request.url.query);
  http_request.headers = {{"User-Agent", k_user_agent}};
  for (const auto& [name, value] : request.headers) {
    http_request.headers.emplace(name, value);
  }
  if (!request.content_type.empty()) {
    http_request.headers.emplace("Content-Type", request.content_type);
  }
  http_request.body = request.body;

  HttpResponse response;
  Cancel cancel = Cancel::none;
  auto deadline = std::chrono::steady_clock::now() + options.total_timeout();
  http_request.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    if (response.body.size() + length > options.max_body) {
      cancel = Cancel::too_large;
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      cancel = Cancel::too_slow;
      return false;
    }
    response.body.append(data, length);
    return true;
  };
  auto started = std::chrono::steady_clock::now();
  if (options.log) {
    std::string line = "> " + request.method + " " + request.url.origin() + request.url.path +
                       (request.url.query.empty() ? "" : "?" + redact_form(request.url.query));
    for (const auto& [name, value] : request.headers) {
      if (name == "Authorization") {
        line += " (Authorization: " + redact_authorization(value) + ")";
      }
    }
    if (!request.body.empty()) {
      line += " body: " + redact_form(request.body);
    }
    options.log(line);
  }
  auto result = client.send(http_request);
  if (options.log) {
    auto milliseconds =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    options.log("< " + (result ? std::to_string(result->status) : "no response (" + httplib::to_string(result.error()) + ")") +
                " in " + std::to_string(milliseconds) + " ms" +
                (result ? " body: " + redact_body(response.body) : ""));
  }
  if (!result) {
    throw transport_error(request, result.error(), client.get_openssl_verify_result(), options, cancel);
  }
  response.status = result->status;
  response.content_type = result->get_header_value("Content-Type");
  response.retry_after = result->get_header_value("Retry-After");
  return response;
}

std::string base64(std::string_view bytes) {
  std::string result(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(result.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  result.resize(static_cast<size_t>(length));
  return result;
}

std::string printable_excerpt(std::string_view text) {
  std::string result;
  for (char c : text.substr(0, 300)) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      result += c;
    } else if (c == '\n' || c == '\t') {
      result += ' ';
    }
  }
  return result;
}

} // namespace keap
