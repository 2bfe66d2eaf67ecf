#include "authorization_request.hpp"

#include "error.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <vector>

namespace keap {

std::string base64url(std::string_view bytes) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string result;
  result.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  auto byte = [&](size_t index) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[index])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned chunk = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) {
      result += k_alphabet[(chunk >> shift) & 63];
    }
  }
  size_t left = bytes.size() - i;
  if (left > 0) {
    unsigned chunk = byte(i) << 16 | (left == 2 ? byte(i + 1) << 8 : 0U);
    result += k_alphabet[(chunk >> 18) & 63];
    result += k_alphabet[(chunk >> 12) & 63];
    if (left == 2) {
      result += k_alphabet[(chunk >> 6) & 63];
    }
  }
  return result;
}

std::string random_url_safe(size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    throw Error(ExitCode::failure, "OpenSSL's random generator failed; refusing to continue without it");
  }
  return base64url(std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

std::string pkce_challenge(std::string_view code_verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(code_verifier.data()), code_verifier.size(), digest);
  return base64url(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

AuthorizationRequest new_authorization_request(bool pkce) {
  return {random_url_safe(32), pkce ? random_url_safe(32) : std::string{}};
}

std::string authorize_url(const Url& endpoint, const AuthorizeParameters& parameters,
                          const AuthorizationRequest& request) {
  Parameters query{{"client_id", parameters.client_id},
                   {"redirect_uri", parameters.redirect_uri},
                   {"response_type", "code"},
                   {"scope", parameters.scope},
                   {"state", request.state}};
  if (!request.code_verifier.empty()) {
    query.emplace_back("code_challenge", pkce_challenge(request.code_verifier));
    query.emplace_back("code_challenge_method", "S256");
  }
  Url url = endpoint;
  url.query = (url.query.empty() ? "" : url.query + "&") + form_encode(query);
  return url.to_string();
}

Callback parse_callback(std::string_view query) {
  Callback callback;
  auto parameters = parse_form(query);
  if (!parameters) {
    callback.problem = "the query string is malformed";
    return callback;
  }
  for (auto& [name, value] : *parameters) {
    std::optional<std::string>* field = name == "state"               ? &callback.state
                                        : name == "code"              ? &callback.code
                                        : name == "error"             ? &callback.error
                                        : name == "error_description" ? &callback.error_description
                                                                      : nullptr;
    if (field == nullptr) {
      continue;
    }
    if (field->has_value()) {
      callback.problem = "the parameter '" + name + "' appears more than once";
      return callback;
    }
    *field = std::move(value);
  }
  return callback;
}

PastedAnswer parse_pasted_answer(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string_view::npos ? std::string_view{} : text.substr(first, last - first + 1);
  PastedAnswer answer;
  if (text.empty()) {
    answer.problem = "nothing was given";
  } else if (auto question = text.find('?'); question != std::string_view::npos || text.find('=') != text.npos) {
    auto query = question == std::string_view::npos ? text : text.substr(question + 1);
    answer.callback = parse_callback(query.substr(0, query.find('#')));
  } else if (text.size() <= 2048 && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                             "0123456789-._~/+") == std::string_view::npos) {
    answer.code = std::string(text);
  } else {
    answer.problem = "it is neither the address the browser landed on nor an authorization code";
  }
  return answer;
}

bool same_secret(std::string_view left, std::string_view right) {
  return left.size() == right.size() && CRYPTO_memcmp(left.data(), right.data(), left.size()) == 0;
}

} // namespace keap
