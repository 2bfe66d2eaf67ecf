#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

/// `keap-auth api`'s request fields, in gh's and HTTPie's syntax.
namespace keap::api {

/// One -f (string) or -F (typed) field as given on the command line.
struct Field {
  enum class Kind { string, typed };
  Kind kind = Kind::string;
  std::string text; ///< KEY=VALUE, or KEY:=JSON for a typed field
};

/// Reads the text behind a typed field's @FILE (or @- for stdin).
using TextReader = std::function<std::string(const std::string& path)>;

/// The JSON object the fields make. Keys nest: `a[b]=x` is {"a":{"b":"x"}}, `a[]=x` appends to an
/// array, `a[][b]=x` adds b to the array's last object unless it already has one (then a new object
/// starts). A -f value is a string; a -F value becomes JSON when it is true, false, null or a number
/// (decimals too), the text of a file for @FILE and @-, and any JSON for KEY:=JSON. Throws Error (exit
/// 2) naming the field for a bad key, a value given twice for a key that is not an array, JSON that does
/// not parse, or a value that is not UTF-8. Pure apart from `read`.
nlohmann::ordered_json build_body(const std::vector<Field>& fields, const TextReader& read);

/// One -q KEY=VALUE query parameter; Error (exit 2) naming it without "=" or with bytes that are not UTF-8.
std::pair<std::string, std::string> parse_query_field(const std::string& text);

/// One -H 'Name: value' header; Error (exit 2) naming it when malformed (no colon, a bad name, a line
/// break in the value).
std::pair<std::string, std::string> parse_header_field(const std::string& text);

} // namespace keap::api
