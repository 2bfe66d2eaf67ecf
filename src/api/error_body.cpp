#include "api/error_body.hpp"

#include "util/json.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cctype>

namespace keap::api {

namespace {

std::optional<std::string> html_title(std::string_view body) {
  auto lower = util::lower(body.substr(0, 64 * 1024));
  auto open = lower.find("<title>");
  auto close = open == std::string::npos ? open : lower.find("</title>", open);
  if (close == std::string::npos) {
    return std::nullopt;
  }
  auto title = util::printable_excerpt(body.substr(open + 7, close - open - 7), 200);
  return title.find_first_not_of(' ') == std::string::npos ? std::nullopt : std::optional(title);
}

std::optional<std::string> nonempty(std::optional<std::string> text) {
  if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) {
    return std::nullopt;
  }
  return util::printable_excerpt(*text, 300);
}

} // namespace

std::optional<std::string> error_message(std::string_view body) {
  auto json = util::parse_json(body);
  if (json.is_object()) {
    if (auto fault = json.find("fault"); fault != json.end() && fault->is_object()) {
      if (auto text = nonempty(util::string_member(*fault, "faultstring"))) {
        return text;
      }
    }
    for (const char* name : {"message", "error_description", "error"}) {
      if (auto text = nonempty(util::string_member(json, name))) {
        return text;
      }
    }
    return std::nullopt;
  }
  return html_title(body);
}

std::optional<std::string> fault_code(std::string_view body) {
  auto json = util::parse_json(body);
  if (!json.is_object()) {
    return std::nullopt;
  }
  auto fault = json.find("fault");
  if (fault == json.end() || !fault->is_object()) {
    return std::nullopt;
  }
  auto detail = fault->find("detail");
  if (detail == fault->end()) {
    return std::nullopt;
  }
  return nonempty(util::string_member(*detail, "errorcode"));
}

} // namespace keap::api
