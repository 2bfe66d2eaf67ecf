#include "net/wire.hpp"

#include "util/text.hpp"

#include <algorithm>

namespace keap::net {

bool valid_token(std::string_view text) {
  static constexpr std::string_view k_symbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           k_symbols.find(c) != std::string_view::npos;
  });
}

bool valid_field_value(std::string_view text) {
  bool visible = std::all_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
  return visible &&
         (text.empty() || (text.front() != ' ' && text.front() != '\t' && text.back() != ' ' && text.back() != '\t'));
}

bool valid_header(std::string_view name, std::string_view value) {
  return valid_token(name) && valid_field_value(value);
}

bool valid_target(std::string_view target) {
  return !target.empty() && std::all_of(target.begin(), target.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f;
  });
}

bool same_token(std::string_view left, std::string_view right) { return util::same_ignoring_case(left, right); }

std::string header_value(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (same_token(key, name)) {
      return value;
    }
  }
  return {};
}

} // namespace keap::net
