#include "api/rate_limit.hpp"

#include <algorithm>
#include <charconv>

namespace keap::api {

namespace {

std::optional<long long> number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string> split_bars(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    auto bar = text.find('|', start);
    parts.push_back(text.substr(start, bar == std::string::npos ? bar : bar - start));
    if (bar == std::string::npos) {
      return parts;
    }
    start = bar + 1;
  }
}

std::optional<util::TimePoint> expiry(const std::optional<long long>& value) {
  if (!value || *value == 0) {
    return std::nullopt;
  }
  constexpr long long k_milliseconds_above = 1'000'000'000'000LL;
  auto seconds = *value > k_milliseconds_above ? *value / 1000 : *value;
  if (seconds > 253'402'300'799LL) { // after 9999-12-31: not a time
    return std::nullopt;
  }
  return util::TimePoint{std::chrono::seconds{seconds}};
}

/// "minute", "day": a header's word, or nothing when it is not one (it reaches terminals and JSON).
std::string unit_name(std::string text) {
  auto first = text.find_first_not_of(' ');
  text = first == std::string::npos ? std::string() : text.substr(first, text.find_last_not_of(' ') - first + 1);
  bool word = text.size() <= 16 && std::all_of(text.begin(), text.end(),
                                               [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
  return word ? text : std::string();
}

/// The windows of one header family; `prefix` like "x-keap-tenant-throttle-". Pipe lists make one
/// window per entry.
void family(const net::HttpResponse& response, const std::string& prefix, const std::string& name,
            std::vector<RateWindow>& windows) {
  auto limits = split_bars(response.header(prefix + "limit"));
  auto availables = split_bars(response.header(prefix + "available"));
  auto useds = split_bars(response.header(prefix + "used"));
  auto units = split_bars(response.header(prefix + "time-unit"));
  auto expiries = split_bars(response.header(prefix + "expiry-time"));
  auto count = std::max({limits.size(), availables.size(), useds.size(), units.size()});
  auto at = [](const std::vector<std::string>& parts, size_t i) { return i < parts.size() ? parts[i] : std::string{}; };
  for (size_t i = 0; i < count && i < 8; ++i) {
    RateWindow window;
    window.limit = number(at(limits, i));
    window.available = number(at(availables, i));
    window.used = number(at(useds, i));
    window.time_unit = unit_name(at(units, i));
    window.resets_at = expiry(number(at(expiries, i)));
    window.name = name + (count > 1 && !window.time_unit.empty() ? " " + window.time_unit : "");
    if (window.limit || window.available || window.used) {
      windows.push_back(std::move(window));
    }
  }
}

} // namespace

std::optional<double> RateWindow::fraction_left() const {
  if (!limit || *limit <= 0) {
    return std::nullopt;
  }
  auto left = available ? *available : used ? std::max(0LL, *limit - *used) : -1;
  if (left < 0) {
    return std::nullopt;
  }
  return std::min(1.0, static_cast<double>(left) / static_cast<double>(*limit));
}

const RateWindow* RateLimits::tightest() const {
  const RateWindow* best = nullptr;
  for (const auto& window : windows) {
    if (window.fraction_left() && (!best || *window.fraction_left() < *best->fraction_left())) {
      best = &window;
    }
  }
  return best;
}

RateLimits parse_rate_limits(const net::Headers& headers) {
  net::HttpResponse response;
  response.headers = headers;
  RateLimits limits;
  family(response, "x-keap-product-quota-", "quota", limits.windows);
  family(response, "x-keap-product-throttle-", "throttle", limits.windows);
  family(response, "x-keap-tenant-throttle-", "tenant", limits.windows);
  return limits;
}

std::string describe_rate_limits(const RateLimits& limits) {
  std::string text;
  for (const auto& window : limits.windows) {
    auto left = window.available              ? std::to_string(*window.available)
                : window.used && window.limit ? std::to_string(std::max(0LL, *window.limit - *window.used))
                                              : std::string("?");
    text += (text.empty() ? "" : "; ") + window.name + " " + left + " of " +
            (window.limit ? std::to_string(*window.limit) : std::string("?")) + " left";
    std::string detail = window.time_unit;
    if (window.resets_at) {
      detail += (detail.empty() ? "" : ", ") + std::string("resets at ") + util::format_rfc3339(*window.resets_at);
    }
    if (!detail.empty()) {
      text += " (" + detail + ")";
    }
  }
  return text;
}

nlohmann::ordered_json rate_limits_json(const RateLimits& limits) {
  auto json = nlohmann::ordered_json::array();
  auto or_null = [](const std::optional<long long>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  for (const auto& window : limits.windows) {
    json.push_back(nlohmann::ordered_json{
        {"name", window.name},
        {"limit", or_null(window.limit)},
        {"available", or_null(window.available)},
        {"used", or_null(window.used)},
        {"time_unit",
         window.time_unit.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(window.time_unit)},
        {"resets_at", window.resets_at ? nlohmann::ordered_json(util::format_rfc3339(*window.resets_at))
                                       : nlohmann::ordered_json(nullptr)}});
  }
  return json;
}

std::optional<RateLimits> rate_limits_from_json(const nlohmann::json& json) {
  if (!json.is_array()) {
    return std::nullopt;
  }
  RateLimits limits;
  auto value = [](const nlohmann::json& item, const char* name) -> std::optional<long long> {
    auto it = item.find(name);
    return it != item.end() && it->is_number_integer() ? std::optional(it->get<long long>()) : std::nullopt;
  };
  for (const auto& item : json) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
      return std::nullopt;
    }
    RateWindow window;
    window.name = item["name"];
    window.limit = value(item, "limit");
    window.available = value(item, "available");
    window.used = value(item, "used");
    if (item.contains("time_unit") && item["time_unit"].is_string()) {
      window.time_unit = item["time_unit"];
    }
    if (item.contains("resets_at") && item["resets_at"].is_string()) {
      window.resets_at = util::parse_rfc3339(item["resets_at"].get<std::string>());
    }
    limits.windows.push_back(std::move(window));
  }
  return limits;
}

} // namespace keap::api
