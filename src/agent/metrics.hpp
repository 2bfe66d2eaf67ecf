#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

/// The agent's counters and gauges, in Prometheus' text format 0.0.4. Labels are profiles, endpoints,
/// statuses and results: never a secret.
namespace keap::agent {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
public:
  void add(const std::string& name, const Labels& labels, double amount = 1);
  void set(const std::string& name, const Labels& labels, double value);
  /// One observation of a histogram in seconds (buckets from 1 ms to 10 s).
  void observe(const std::string& name, const Labels& labels, double seconds);
  /// Every series, each family with its HELP and TYPE; `gauges` are computed by the caller just now.
  std::string text() const;

private:
  struct Family {
    std::string type;                     ///< counter | gauge | histogram
    std::map<std::string, double> series; ///< by suffix (_bucket, _sum, _count; none) and rendered labels
  };
  void change(const std::string& name, const std::string& type, const Labels& labels, double amount, bool replace);

  mutable std::mutex m_mutex;
  std::map<std::string, Family> m_families;
};

/// What each metric means, for HELP lines and the documentation.
const std::vector<std::pair<std::string, std::string>>& metric_help();

} // namespace keap::agent
