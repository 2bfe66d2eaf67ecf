#include "api/fields.hpp"

#include "core/error.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace keap::api {

namespace {

using Json = nlohmann::ordered_json;

Error field_error(const Field& field, const std::string& problem, std::string hint = {}) {
  return Error(ExitCode::usage,
               std::string(field.kind == Field::Kind::string ? "-f" : "-F") + " " +
                   util::printable_excerpt(field.text, 80) + ": " + problem,
               hint.empty() ? "write it as KEY=VALUE, KEY[SUB]=VALUE or KEY[]=VALUE" : hint);
}

/// A key's path: its name, then each [SUB] (a member) or [] (append to an array, as "").
std::vector<std::string> key_path(const Field& field, std::string_view key) {
  auto open = key.find('[');
  std::vector<std::string> path{std::string(key.substr(0, open))};
  if (path.front().empty() || path.front().find(']') != std::string::npos) {
    throw field_error(field, "the key is missing or malformed");
  }
  while (open != std::string_view::npos) {
    auto close = key.find(']', open);
    if (close == std::string_view::npos || (close + 1 < key.size() && key[close + 1] != '[')) {
      throw field_error(field, "the brackets in the key do not match");
    }
    auto sub = key.substr(open + 1, close - open - 1);
    if (sub.find('[') != std::string_view::npos) {
      throw field_error(field, "the brackets in the key do not match");
    }
    path.emplace_back(sub);
    open = close + 1 < key.size() ? close + 1 : std::string_view::npos;
  }
  return path;
}

Json typed_value(const std::string& value, const TextReader& read) {
  if (value == "true" || value == "false") {
    return value == "true";
  }
  if (value == "null") {
    return nullptr;
  }
  // JSON's number syntax (so "007", a postcode, stays a string), and never a number too large to be
  // exact: an id of 30 digits is text.
  if (!value.empty() && value.find_first_not_of("-0123456789.eE+") == std::string::npos) {
    auto number = util::parse_ordered_json(value);
    bool exact = number.is_number_integer() || value.find_first_of(".eE") != std::string::npos;
    if (number.is_number() && exact) {
      return number;
    }
  }
  if (value.starts_with("@")) {
    return read(value.substr(1));
  }
  return value;
}

void require_utf8(const Field& field, const Json& value) {
  if (value.is_string()) {
    if (auto offset = util::invalid_utf8_offset(value.get_ref<const std::string&>())) {
      throw field_error(field, "the file's text is not valid UTF-8 (byte " + std::to_string(*offset + 1) + ")",
                        "Keap takes JSON, which is UTF-8; convert the text first");
    }
  }
}

/// Puts `value` at `path` in `body`, growing objects and arrays as the path says.
void place(Json& body, const std::vector<std::string>& path, Json value, const Field& field) {
  Json* node = &body;
  for (size_t i = 0; i < path.size(); ++i) {
    const auto& part = path[i];
    bool last = i + 1 == path.size();
    if (part.empty()) { // []: append
      if (node->is_null()) {
        *node = Json::array();
      }
      if (!node->is_array()) {
        throw field_error(field, "the key is used both as an array and as something else");
      }
      if (last) {
        node->push_back(std::move(value));
        return;
      }
      const auto& next = path[i + 1];
      if (node->empty() || !node->back().is_object() || next.empty() || node->back().contains(next)) {
        node->push_back(Json::object());
      }
      node = &node->back();
      continue;
    }
    if (node->is_null()) {
      *node = Json::object();
    }
    if (!node->is_object()) {
      throw field_error(field, "the key is used both as an object and as something else");
    }
    if (last) {
      if (node->contains(part)) {
        throw field_error(field, "\"" + part + "\" is given twice", "give it once, or append with " + part + "[]=");
      }
      (*node)[part] = std::move(value);
      return;
    }
    node = &(*node)[part];
  }
}

} // namespace

Json build_body(const std::vector<Field>& fields, const TextReader& read) {
  Json body = Json::object();
  for (const auto& field : fields) {
    auto equals = field.text.find('=');
    if (equals == std::string::npos) {
      throw field_error(field, "there is no \"=\"");
    }
    std::string_view key(field.text.data(), equals);
    auto value = field.text.substr(equals + 1);
    bool raw = field.kind == Field::Kind::typed && key.ends_with(":");
    if (raw) {
      key.remove_suffix(1);
    }
    if (auto offset = util::invalid_utf8_offset(field.text)) {
      throw field_error(field, "not valid UTF-8 (byte " + std::to_string(*offset + 1) + ")",
                        "Keap takes JSON, which is UTF-8; convert the text first");
    }
    auto path = key_path(field, key);
    Json json;
    if (raw) {
      json = util::parse_ordered_json(value);
      if (json.is_discarded()) {
        throw field_error(field, "the value after \":=\" is not JSON", "quote it for the shell, e.g. -F 'tags:=[1,2]'");
      }
    } else {
      json = field.kind == Field::Kind::typed ? typed_value(value, read) : Json(value);
    }
    require_utf8(field, json);
    place(body, path, std::move(json), field);
  }
  return body;
}

std::pair<std::string, std::string> parse_query_field(const std::string& text) {
  auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw Error(ExitCode::usage, "-q " + util::printable_excerpt(text, 80) + ": a query parameter is KEY=VALUE",
                "for example -q limit=5");
  }
  if (auto offset = util::invalid_utf8_offset(text)) {
    throw Error(ExitCode::usage, "-q " + util::printable_excerpt(text, 80) + ": not valid UTF-8 (byte " +
                                     std::to_string(*offset + 1) + ")");
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

std::pair<std::string, std::string> parse_header_field(const std::string& text) {
  auto colon = text.find(':');
  auto name = text.substr(0, colon);
  auto valid_name = !name.empty() && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                            "0123456789!#$%&'*+-.^_`|~") == std::string::npos;
  if (colon == std::string::npos || !valid_name || text.find_first_of("\r\n") != std::string::npos) {
    throw Error(ExitCode::usage, "-H " + util::printable_excerpt(text, 80) + ": a header is 'Name: value'",
                "for example -H 'X-Request-Id: 42'");
  }
  auto value = text.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  return {name, value};
}

} // namespace keap::api
