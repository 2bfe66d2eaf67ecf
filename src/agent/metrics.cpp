#include "agent/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace keap::agent {

namespace {

/// A label value as the text format wants it: backslash, quote and new line escaped.
std::string escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string rendered(const Labels& labels) {
  if (labels.empty()) {
    return {};
  }
  std::string text = "{";
  for (const auto& [name, value] : labels) {
    text += (text.size() > 1 ? "," : "") + name + "=\"" + escaped(value) + "\"";
  }
  return text + "}";
}

std::string number(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

} // namespace

const std::vector<std::pair<std::string, std::string>>& metric_help() {
  static const std::vector<std::pair<std::string, std::string>> k_help{
      {"keap_auth_refreshes_total", "Refreshes the agent made, by profile and result (ok, failed)."},
      {"keap_auth_token_expiry_seconds", "Seconds until the access token the agent serves expires, by profile."},
      {"keap_auth_refresh_token_age_seconds", "Age of each served grant's refresh token, by profile."},
      {"keap_auth_requests_total", "Requests answered, by endpoint and status."},
      {"keap_auth_callers_refused_total", "Requests refused for who sent them (another user, a missing or wrong key)."},
      {"keap_auth_sink_writes_total", "Sink files written, by profile and result (ok, failed)."},
      {"keap_auth_proxy_requests_total", "Calls proxied to Keap, by profile and the status the caller got."},
      {"keap_auth_proxy_upstream_requests_total",
       "Requests sent to Keap (attempts, replays and retries included), by pool and status (0: no answer)."},
      {"keap_auth_proxy_credentials_removed_total",
       "Authorization or X-Keap-API-Key headers callers sent, removed before the call went to Keap."},
      {"keap_auth_proxy_admitted_total", "Requests the pacer admitted, by pool."},
      {"keap_auth_proxy_wait_seconds", "Time requests waited for the pacer, by pool."},
      {"keap_auth_proxy_refused_total", "Calls answered 429 by the agent itself (max_wait, or the day's quota held), by pool."},
      {"keap_auth_proxy_keap_429_total", "429s from Keap, by pool."},
      {"keap_auth_proxy_available", "What Keap's last headers said was left, by pool."},
      {"keap_auth_proxy_refreshes_total", "Refreshes after a 401 from Keap, by profile."},
  };
  return k_help;
}

void Metrics::change(const std::string& name, const std::string& type, const Labels& labels, double amount,
                     bool replace) {
  std::lock_guard lock(m_mutex);
  auto& family = m_families[name];
  family.type = type;
  auto& value = family.series[rendered(labels)]; // no suffix: a counter's or a gauge's own series
  value = replace ? amount : value + amount;
}

void Metrics::observe(const std::string& name, const Labels& labels, double seconds) {
  static constexpr double k_bounds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10};
  std::lock_guard lock(m_mutex);
  auto& family = m_families[name];
  family.type = "histogram";
  for (double bound : k_bounds) {
    auto with_bound = labels;
    with_bound.emplace_back("le", number(bound));
    family.series["_bucket" + rendered(with_bound)] += seconds <= bound ? 1 : 0;
  }
  auto infinite = labels;
  infinite.emplace_back("le", "+Inf");
  family.series["_bucket" + rendered(infinite)] += 1;
  family.series["_sum" + rendered(labels)] += seconds;
  family.series["_count" + rendered(labels)] += 1;
}

void Metrics::add(const std::string& name, const Labels& labels, double amount) {
  change(name, "counter", labels, amount, false);
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  change(name, "gauge", labels, value, true);
}

std::string Metrics::text() const {
  std::lock_guard lock(m_mutex);
  std::string text;
  for (const auto& [name, help] : metric_help()) {
    auto family = m_families.find(name);
    bool gauge = name.find("_total") == std::string::npos;
    auto type = family != m_families.end()     ? family->second.type
                : name.ends_with("_wait_seconds") ? "histogram"
                : gauge                           ? "gauge"
                                                  : "counter";
    text += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    if (family == m_families.end()) {
      if (!gauge && name == "keap_auth_callers_refused_total") {
        text += name + " 0\n"; // a counter without labels exists from the start
      }
      continue;
    }
    for (const auto& [labels, value] : family->second.series) {
      text += name + labels + " " + number(value) + "\n";
    }
  }
  return text;
}

} // namespace keap::agent
