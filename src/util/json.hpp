#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

/// The JSON helpers every file format and endpoint shares.
namespace keap::util {

/// Serialises `value` without ever throwing: nlohmann's dump() throws on a string that is not valid
/// UTF-8 (type_error.316); here such bytes become U+FFFD. `indent` as for dump(); a pretty document
/// ends with a newline, ready for a file.
std::string dump_json(const nlohmann::json& value, int indent = -1);
std::string dump_json(const nlohmann::ordered_json& value, int indent = -1);

/// A string member of an object, or nothing when it is absent or not a string.
std::optional<std::string> string_member(const nlohmann::json& object, std::string_view name);

/// Parses `text` without throwing; a discarded value when it is not JSON.
nlohmann::json parse_json(std::string_view text);
/// The same, keeping the members in the order the text has them (for output that mirrors the input).
nlohmann::ordered_json parse_ordered_json(std::string_view text);

/// JSON null for nothing, the value otherwise.
template <class Json = nlohmann::json> Json or_null(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

} // namespace keap::util
