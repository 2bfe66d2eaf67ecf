#include "net/retry_policy.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <thread>

namespace keap::net {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<std::string_view, 12> k_months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool number(std::string_view text, int& value) {
  if (text.empty() || text.size() > 4) {
    return false;
  }
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  std::from_chars(text.data(), text.data() + text.size(), value);
  return true;
}

std::optional<unsigned> month_of(std::string_view name) {
  for (unsigned i = 0; i < k_months.size(); ++i) {
    if (name == k_months[i]) {
      return i + 1;
    }
  }
  return std::nullopt;
}

/// "08:49:37".
bool clock_time(std::string_view text, int& hour, int& minute, int& second) {
  return text.size() == 8 && text[2] == ':' && text[5] == ':' && number(text.substr(0, 2), hour) &&
         number(text.substr(3, 2), minute) && number(text.substr(6, 2), second) && hour < 24 && minute < 60 &&
         second < 61;
}

std::vector<std::string_view> fields(std::string_view text) {
  std::vector<std::string_view> result;
  size_t start = 0;
  while (start < text.size()) {
    while (start < text.size() && text[start] == ' ') {
      ++start;
    }
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (end > start) {
      result.push_back(text.substr(start, end - start));
    }
    start = end;
  }
  return result;
}

std::optional<util::TimePoint> make_time(int year, unsigned month, int day, int hour, int minute, int second) {
  std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                   std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return util::TimePoint{std::chrono::sys_days{date}} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

/// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
/// "Sun Nov  6 08:49:37 1994".
std::optional<util::TimePoint> parse_http_date(std::string_view text) {
  auto parts = fields(text);
  int year = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (parts.size() == 6 && parts[0].ends_with(",") && parts[5] == "GMT") {
    auto month = month_of(parts[2]);
    if (month && number(parts[1], day) && parts[3].size() == 4 && number(parts[3], year) &&
        clock_time(parts[4], hour, minute, second)) {
      return make_time(year, *month, day, hour, minute, second);
    }
    return std::nullopt;
  }
  if (parts.size() == 4 && parts[0].ends_with(",") && parts[3] == "GMT" && parts[1].size() == 9 && parts[1][2] == '-' &&
      parts[1][6] == '-') {
    auto month = month_of(parts[1].substr(3, 3));
    if (month && number(parts[1].substr(0, 2), day) && number(parts[1].substr(7, 2), year) &&
        clock_time(parts[2], hour, minute, second)) {
      return make_time(year < 70 ? 2000 + year : 1900 + year, *month, day, hour, minute, second);
    }
    return std::nullopt;
  }
  if (parts.size() == 5) {
    auto month = month_of(parts[1]);
    if (month && number(parts[2], day) && clock_time(parts[3], hour, minute, second) && parts[4].size() == 4 &&
        number(parts[4], year)) {
      return make_time(year, *month, day, hour, minute, second);
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, util::TimePoint now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    constexpr long long k_a_year = 366LL * 86400;
    long long seconds = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc::result_out_of_range || seconds > k_a_year) {
      return std::chrono::seconds{k_a_year}; // far beyond any wait keap-auth makes
    }
    return end == value.data() + value.size() ? std::optional(std::chrono::seconds{seconds}) : std::nullopt;
  }
  auto date = parse_http_date(value);
  if (!date) {
    return std::nullopt;
  }
  return *date > now ? std::chrono::duration_cast<std::chrono::seconds>(*date - now) : std::chrono::seconds{0};
}

HttpResponse send_with_retries(HttpClient& client, const HttpRequest& request, const RetryPolicy& policy) {
  auto deadline = Clock::now() + policy.deadline;
  const auto& log = client.options().log;
  auto wait = [&](std::chrono::seconds pause, const std::string& why) {
    if (Clock::now() + pause >= deadline) {
      return false;
    }
    if (log) {
      log(why + "; trying again in " + std::to_string(pause.count()) + "s");
    }
    std::this_thread::sleep_for(pause);
    return true;
  };
  int connect_failures = 0, rate_limits = 0;
  for (;;) {
    HttpResponse response;
    try {
      response = client.send(request, deadline);
    } catch (const TransportError& error) {
      ++connect_failures;
      if (!error.retryable() || connect_failures >= policy.connect_attempts ||
          !wait(std::chrono::seconds(connect_failures), std::string(error.what()) + " (attempt " +
                                                            std::to_string(connect_failures) + " of " +
                                                            std::to_string(policy.connect_attempts) + ")")) {
        throw;
      }
      continue;
    }
    if (response.status != 429 || rate_limits >= policy.rate_limit_retries) {
      return response;
    }
    ++rate_limits;
    auto pause =
        parse_retry_after(response.header("retry-after"), util::now_seconds()).value_or(policy.default_rate_limit_wait);
    // A 429 was refused before processing, so repeating it cannot spend a rotation.
    if (pause > policy.longest_rate_limit_wait || !wait(pause, "rate limited (HTTP 429)")) {
      return response;
    }
  }
}

} // namespace keap::net
