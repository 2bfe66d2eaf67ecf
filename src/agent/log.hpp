#pragma once

#include "util/environment.hpp"

#include <string>
#include <utility>
#include <vector>

/// The agent's log: one line per event on stderr, as text or JSON, with sd-daemon priority prefixes
/// when stderr is the journal. Callers never pass a secret: a field is a profile, a path, a count, a
/// status or a message of an Error (which never holds one).
namespace keap::agent {

enum class Level { error, warning, info };

using Fields = std::vector<std::pair<std::string, std::string>>;

class Log {
public:
  /// `json`: one JSON object per line. The journal is detected from JOURNAL_STREAM.
  Log(bool json, const util::EnvironmentLookup& environment);
  void write(Level level, const std::string& event, const Fields& fields = {}) const;
  void info(const std::string& event, const Fields& fields = {}) const { write(Level::info, event, fields); }
  void warn(const std::string& event, const Fields& fields = {}) const { write(Level::warning, event, fields); }
  void error(const std::string& event, const Fields& fields = {}) const { write(Level::error, event, fields); }

private:
  bool m_json;
  bool m_journal;
};

} // namespace keap::agent
