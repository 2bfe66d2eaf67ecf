#include "util/text.hpp"

#include <algorithm>

namespace keap::util {

namespace {
char lower_letter(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
} // namespace

std::string lower(std::string_view text) {
  std::string result(text);
  for (auto& c : result) {
    c = lower_letter(c);
  }
  return result;
}

bool same_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() && std::equal(left.begin(), left.end(), right.begin(),
                                                   [](char a, char b) { return lower_letter(a) == lower_letter(b); });
}

std::string printable_excerpt(std::string_view text, size_t limit) {
  std::string result;
  for (char c : text.substr(0, limit)) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      result += c;
    } else if (c == '\n' || c == '\t' || c == '\r') {
      result += ' ';
    }
  }
  return result;
}

std::string terminal_safe(std::string_view text, size_t limit) {
  std::string result;
  auto cut = text.substr(0, limit);
  for (size_t i = 0; i < cut.size(); ++i) {
    auto byte = static_cast<unsigned char>(cut[i]);
    auto next = i + 1 < cut.size() ? static_cast<unsigned char>(cut[i + 1]) : 0;
    if (byte == 0xc2 && next >= 0x80 && next <= 0x9f) {
      ++i; // a C1 control (U+0080 to U+009F): some terminals take U+009B as the start of a sequence
    } else if ((byte >= 0x20 && byte != 0x7f) || cut[i] == '\n' || cut[i] == '\t') {
      result += cut[i];
    }
  }
  return text.size() > limit ? result + "…" : result;
}

bool is_visible_ascii(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) {
      joined += separator;
    }
    joined += part;
  }
  return joined;
}

size_t edit_distance(std::string_view left, std::string_view right) {
  std::vector<size_t> row(right.size() + 1);
  for (size_t j = 0; j <= right.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= left.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= right.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (left[i - 1] == right[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[right.size()];
}

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates,
                                   size_t max_distance) {
  // A short word is close to too much ("foo" is three edits from "api"): allow an edit per three letters.
  max_distance = std::min(max_distance, std::max<size_t>(1, word.size() / 3));
  const std::string* best = nullptr;
  size_t best_distance = max_distance + 1;
  for (const auto& candidate : candidates) {
    size_t distance = word.size() >= 3 && candidate.starts_with(word) ? 1 : edit_distance(word, candidate);
    if (distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }
  return best ? std::optional<std::string>(*best) : std::nullopt;
}

std::optional<size_t> invalid_utf8_offset(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) {
      return i;
    }
    unsigned code_point = length == 1 ? byte : byte & (0xffU >> (length + 1));
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) {
        return i;
      }
      code_point = code_point << 6 | (next & 0x3f);
    }
    static constexpr unsigned k_smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < k_smallest[length] || code_point > 0x10ffff || (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) {
    words.push_back(std::move(word));
  }
  return words;
}

} // namespace keap::util
