#include "redaction.hpp"

#include "url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace keap {

namespace {

bool is_secret(std::string_view name) {
  static constexpr std::string_view k_secret_names[] = {"access_token",  "refresh_token", "id_token",
                                                        "client_secret", "code",          "code_verifier",
                                                        "state",         "password",      "assertion"};
  return std::find(std::begin(k_secret_names), std::end(k_secret_names), name) != std::end(k_secret_names);
}

} // namespace

std::string redact_form(std::string_view form) {
  auto parameters = parse_form(form);
  if (!parameters) {
    return "[" + std::to_string(form.size()) + " bytes, not a form]";
  }
  for (auto& [name, value] : *parameters) {
    if (is_secret(name)) {
      value = "[redacted]";
    }
  }
  std::string result;
  for (const auto& [name, value] : *parameters) {
    result += (result.empty() ? "" : "&") + percent_encode(name) + "=" + (is_secret(name) ? value : percent_encode(value));
  }
  return result;
}

std::string redact_body(std::string_view body) {
  auto document = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return "[" + std::to_string(body.size()) + " bytes]";
  }
  for (auto& [name, value] : document.items()) {
    if (is_secret(name)) {
      value = "[redacted]";
    }
  }
  auto text = document.dump();
  return text.size() > 400 ? text.substr(0, 400) + "..." : text;
}

std::string redact_authorization(std::string_view header) {
  auto space = header.find(' ');
  return std::string(header.substr(0, space)) + " [redacted]";
}

} // namespace keap
