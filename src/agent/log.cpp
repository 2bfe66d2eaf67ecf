#include "agent/log.hpp"

#include "term/output.hpp"
#include "util/json.hpp"
#include "util/text.hpp"
#include "util/timestamp.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

namespace keap::agent {

namespace {

/// True when stderr is the journal's stream (systemd sets JOURNAL_STREAM to its device:inode).
bool stderr_is_journal(const util::EnvironmentLookup& environment) {
  auto stream = environment("JOURNAL_STREAM");
  struct stat info {};
  if (!stream || ::fstat(STDERR_FILENO, &info) != 0) {
    return false;
  }
  return *stream == std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
}

const char* level_name(Level level) {
  switch (level) {
  case Level::error:
    return "error";
  case Level::warning:
    return "warning";
  case Level::info:
    return "info";
  }
  return "info";
}

/// sd-daemon(3)'s prefixes: the journal files each line under its priority.
const char* journal_prefix(Level level) {
  switch (level) {
  case Level::error:
    return "<3>";
  case Level::warning:
    return "<4>";
  case Level::info:
    return "<6>";
  }
  return "<6>";
}

} // namespace

Log::Log(bool json, const util::EnvironmentLookup& environment)
    : m_json(json), m_journal(stderr_is_journal(environment)) {}

void Log::write(Level level, const std::string& event, const Fields& fields) const {
  std::string line = m_journal ? journal_prefix(level) : "";
  if (m_json) {
    nlohmann::ordered_json object = {
        {"time", util::format_rfc3339(util::now_seconds())}, {"level", level_name(level)}, {"event", event}};
    for (const auto& [name, value] : fields) {
      object[name] = value;
    }
    line += util::dump_json(object);
  } else {
    line +=
        "keap-auth agent: " + std::string(level == Level::info ? "" : std::string(level_name(level)) + ": ") + event;
    for (const auto& [name, value] : fields) {
      line += " " + name + "=" +
              (value.find_first_of(" \"") == std::string::npos ? value : util::dump_json(nlohmann::json(value)));
    }
  }
  term::write_stderr(util::printable_excerpt(line, 4000) + "\n");
}

} // namespace keap::agent
