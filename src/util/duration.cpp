#include "util/duration.hpp"

#include <charconv>

namespace keap::util {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end == text.data() || value < 0) {
    return std::nullopt;
  }
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  if (unit.empty() && value != 0) {
    return std::nullopt; // "45": seconds or days? A unit says which ("0" needs none)
  }
  long long scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  constexpr long long k_hundred_years = 100LL * 366 * 86400;
  if (scale == 0 || value > k_hundred_years / scale) {
    return std::nullopt;
  }
  return std::chrono::seconds{value * scale};
}

std::string format_duration(std::chrono::seconds duration) {
  long long total = duration.count() < 0 ? -duration.count() : duration.count();
  const std::pair<long long, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string result;
  int shown = 0;
  for (auto [size, name] : units) {
    long long amount = total / size;
    total %= size;
    if ((amount > 0 || (shown > 0)) && shown < 2) {
      if (amount > 0) {
        result += (result.empty() ? "" : " ") + std::to_string(amount) + name;
      }
      ++shown;
    }
  }
  return result.empty() ? "0s" : result;
}

std::string format_exact_duration(std::chrono::seconds duration) {
  auto total = duration.count();
  if (total == 0) {
    return "0";
  }
  const std::pair<long long, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}};
  for (auto [size, name] : units) {
    if (total % size == 0) {
      return std::to_string(total / size) + name;
    }
  }
  return std::to_string(total) + "s";
}

std::string format_relative(std::chrono::seconds from_now) {
  if (from_now.count() == 0) {
    return "just now";
  }
  return from_now.count() > 0 ? "in " + format_duration(from_now) : format_duration(from_now) + " ago";
}

} // namespace keap::util
