#include "core/redaction.hpp"

#include "util/json.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

#include <algorithm>
#include <cctype>

namespace keap {

namespace {

constexpr std::string_view k_redacted = "[redacted]";

void redact(nlohmann::json& value) {
  if (value.is_object()) {
    for (auto& [name, member] : value.items()) {
      if (is_secret_name(name)) {
        member = k_redacted;
      } else {
        redact(member);
      }
    }
  } else if (value.is_array()) {
    for (auto& element : value) {
      redact(element);
    }
  }
}

} // namespace

bool is_secret_name(std::string_view name) {
  // Compared without case or separators, so accessToken, Access-Token and ACCESS_TOKEN are one name.
  std::string folded;
  for (char c : name) {
    if (c != '_' && c != '-' && c != '.' && c != ' ') {
      folded += c;
    }
  }
  folded = util::lower(folded);
  static constexpr std::string_view k_names[] = {"code",        "codeverifier",  "state",  "assertion",   "apikey",
                                                 "xkeapapikey", "authorization", "cookie", "credentials", "privatekey"};
  static constexpr std::string_view k_endings[] = {"token", "secret", "password", "apikey"};
  return std::find(std::begin(k_names), std::end(k_names), folded) != std::end(k_names) ||
         std::any_of(std::begin(k_endings), std::end(k_endings),
                     [&](std::string_view ending) { return folded.ends_with(ending); });
}

std::string redact_form(std::string_view form) {
  auto parameters = util::parse_form(form);
  if (!parameters) {
    return "[" + std::to_string(form.size()) + " bytes, not a form]";
  }
  std::string result;
  for (const auto& [name, value] : *parameters) {
    result += (result.empty() ? "" : "&") + util::percent_encode(name) + "=" +
              (is_secret_name(name) ? std::string(k_redacted) : util::percent_encode(value));
  }
  return result;
}

std::string redact_body(std::string_view body, size_t limit) {
  auto document = util::parse_json(body);
  if (document.is_discarded() || !(document.is_object() || document.is_array())) {
    return "[" + std::to_string(body.size()) + " bytes]";
  }
  redact(document);
  auto text = util::dump_json(document);
  return text.size() > limit ? text.substr(0, limit) + "..." : text;
}

std::string redact_header(std::string_view name, std::string_view value) {
  if (util::same_ignoring_case(name, "Authorization") || util::same_ignoring_case(name, "Proxy-Authorization")) {
    return std::string(value.substr(0, value.find(' '))) + " " + std::string(k_redacted);
  }
  if (util::same_ignoring_case(name, "X-Keap-API-Key") || util::same_ignoring_case(name, "Cookie") ||
      util::same_ignoring_case(name, "Set-Cookie")) {
    return std::string(k_redacted);
  }
  return std::string(value);
}

} // namespace keap
