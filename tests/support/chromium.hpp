#pragma once

#include "support/process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace keap::test {

/// A real headless Chromium (Debian's /usr/bin/chromium) driven over the DevTools protocol on
/// --remote-debugging-pipe: NUL-separated JSON on fds 3 and 4, so no WebSocket code is needed.
/// Each instance has a fresh profile and is closed with the test.
class Chromium {
public:
  explicit Chromium(const std::vector<std::string>& extra_arguments = {});
  ~Chromium();
  Chromium(const Chromium&) = delete;
  Chromium& operator=(const Chromium&) = delete;

  static bool available();

  /// Opens a tab at `url` and returns its session id.
  std::string open(const std::string& url);
  /// Evaluates a JavaScript expression in the tab and returns its value as a string.
  std::string evaluate(const std::string& session, const std::string& expression);
  /// Evaluates `expression` until it returns a non-empty string or the timeout passes.
  std::string wait_for(const std::string& session, const std::string& expression,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));

private:
  nlohmann::json call(const std::string& method, const nlohmann::json& params, const std::string& session = {});
  nlohmann::json read_message(std::chrono::steady_clock::time_point deadline);

  TempDir m_profile;
  pid_t m_pid = -1;
  int m_to_browser = -1;
  int m_from_browser = -1;
  int m_next_id = 1;
  std::string m_buffer;
};

} // namespace keap::test
