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

nlohmann::json parse_json(std::string_view text) {
  // The parser's only exception with allow_exceptions=false is a number too large for any JSON
  // number type (found by fuzzing); treat it like any other text that is not JSON.
  try {
    return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

nlohmann::ordered_json parse_ordered_json(std::string_view text) {
  try {
    return nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, false);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
  }
}

} // namespace keap::util
