#include "util/encoding.hpp"

namespace keap::util {

namespace {

constexpr char k_base64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char k_base64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string result;
  result.reserve((bytes.size() + 2) / 3 * 4);
  auto byte = [&](size_t index) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[index])); };
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned chunk = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) {
      result += alphabet[(chunk >> shift) & 63];
    }
  }
  size_t left = bytes.size() - i;
  if (left > 0) {
    unsigned chunk = byte(i) << 16 | (left == 2 ? byte(i + 1) << 8 : 0U);
    result += alphabet[(chunk >> 18) & 63];
    result += alphabet[(chunk >> 12) & 63];
    if (left == 2) {
      result += alphabet[(chunk >> 6) & 63];
    }
    if (pad) {
      result.append(3 - left, '=');
    }
  }
  return result;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

} // namespace

std::string base64(std::string_view bytes) { return encode(bytes, k_base64, true); }

std::string base64url(std::string_view bytes) { return encode(bytes, k_base64url, false); }

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  std::string result;
  result.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    unsigned chunk = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      bool padded = c == '=' && i + 4 == text.size() && j >= 4 - padding;
      int value = padded ? 0 : base64_value(c);
      if (value < 0) {
        return std::nullopt;
      }
      chunk = chunk << 6 | static_cast<unsigned>(value);
    }
    result += static_cast<char>(chunk >> 16);
    result += static_cast<char>(chunk >> 8 & 255);
    result += static_cast<char>(chunk & 255);
  }
  result.resize(result.size() - padding);
  return result;
}

std::string hex(std::string_view bytes, char separator) {
  static constexpr char k_digits[] = "0123456789ABCDEF";
  std::string result;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto byte = static_cast<unsigned char>(bytes[i]);
    if (i > 0 && separator != '\0') {
      result += separator;
    }
    result += k_digits[byte >> 4];
    result += k_digits[byte & 15];
  }
  return result;
}

std::optional<std::string> hex_decode(std::string_view text) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  if (text.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int high = digit(text[i]), low = digit(text[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

} // namespace keap::util
