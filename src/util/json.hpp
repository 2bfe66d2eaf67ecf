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

/// The deepest nesting keap-auth reads from outside: Keap's documents are a few levels deep, and what
/// walks a document (dump, redaction) recurses once per level.
inline constexpr size_t k_json_depth_limit = 128;

/// True when `text` nests arrays or objects deeper than k_json_depth_limit (strings skipped). Pure.
bool json_too_deep(std::string_view text);

/// Parses `text` without throwing; a discarded value when it is not JSON, or nests deeper than
/// k_json_depth_limit (a 600 KB `[[[...]]]` from a hostile server must not exhaust the stack).
nlohmann::json parse_json(std::string_view text);
/// The same, keeping the members in the order the text has them (for output that mirrors the input).
nlohmann::ordered_json parse_ordered_json(std::string_view text);

/// JSON null for nothing, the value otherwise.
template <class Json = nlohmann::json> Json or_null(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

} // namespace keap::util
