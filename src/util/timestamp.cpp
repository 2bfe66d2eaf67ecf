#include "util/timestamp.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace keap::util {

namespace {

bool read_number(std::string_view& text, size_t digits, int& value) {
  if (text.size() < digits) {
    return false;
  }
  for (size_t i = 0; i < digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  std::from_chars(text.data(), text.data() + digits, value);
  text.remove_prefix(digits);
  return true;
}

bool expect(std::string_view& text, char c) {
  if (text.empty() || std::toupper(static_cast<unsigned char>(text.front())) != c) {
    return false;
  }
  text.remove_prefix(1);
  return true;
}

} // namespace

TimePoint now_seconds() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::string format_rfc3339(TimePoint time) {
  auto day = std::chrono::floor<std::chrono::days>(time);
  std::chrono::year_month_day date{day};
  std::chrono::hh_mm_ss clock{time - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_number(text, 4, year) || !expect(text, '-') || !read_number(text, 2, month) || !expect(text, '-') ||
      !read_number(text, 2, day) || !expect(text, 'T') || !read_number(text, 2, hour) || !expect(text, ':') ||
      !read_number(text, 2, minute) || !expect(text, ':') || !read_number(text, 2, second)) {
    return std::nullopt;
  }
  if (!text.empty() && text.front() == '.') {
    text.remove_prefix(1);
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
      ++digits;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    text.remove_prefix(digits);
  }
  int offset_minutes = 0;
  if (!expect(text, 'Z')) {
    if (text.empty() || (text.front() != '+' && text.front() != '-')) {
      return std::nullopt;
    }
    int sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
    int offset_hours = 0, offset_rest = 0;
    if (!read_number(text, 2, offset_hours) || !expect(text, ':') || !read_number(text, 2, offset_rest) ||
        offset_hours > 23 || offset_rest > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (offset_hours * 60 + offset_rest);
  }
  std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                   std::chrono::day{static_cast<unsigned>(day)}};
  if (!text.empty() || !date.ok() || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return TimePoint{std::chrono::sys_days{date}} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second} - std::chrono::minutes{offset_minutes};
}

} // namespace keap::util
