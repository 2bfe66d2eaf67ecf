#include "util/json.hpp"

namespace keap::util {

namespace {

template <class Json> std::string dump(const Json& value, int indent) {
  auto text = value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
  return indent >= 0 ? text + "\n" : text;
}

} // namespace

std::string dump_json(const nlohmann::json& value, int indent) { return dump(value, indent); }

std::string dump_json(const nlohmann::ordered_json& value, int indent) { return dump(value, indent); }

std::optional<std::string> string_member(const nlohmann::json& object, std::string_view name) {
  if (!object.is_object()) {
    return std::nullopt;
  }
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

bool json_too_deep(std::string_view text) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      escaped = !escaped && c == '\\';
      in_string = escaped || c != '"';
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > k_json_depth_limit) {
        return true;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

nlohmann::json parse_json(std::string_view text) {
  if (json_too_deep(text)) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  // The parser's only exception with allow_exceptions=false is a number too large for any JSON
  // number type (found by fuzzing); treat it like any other text that is not JSON.
  try {
    return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

nlohmann::ordered_json parse_ordered_json(std::string_view text) {
  if (json_too_deep(text)) {
    return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
  }
  try {
    return nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, false);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
  }
}

} // namespace keap::util
