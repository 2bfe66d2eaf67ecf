#include "cli/input.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include <poll.h>
#include <unistd.h>

namespace keap::cli {

StdinLines::Status StdinLines::next(std::chrono::steady_clock::time_point deadline, std::string& line) {
  for (;;) {
    if (auto end = m_buffer.find('\n'); end != std::string::npos) {
      line = m_buffer.substr(0, end);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      m_buffer.erase(0, end + 1);
      return Status::line;
    }
    if (m_ended) {
      if (!m_buffer.empty()) { // a last line without its newline
        line = std::exchange(m_buffer, {});
        return Status::line;
      }
      return Status::ended;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd input{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&input, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      return Status::timed_out;
    }
    char buffer[4096];
    ssize_t count = ready < 0 ? -1 : ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      m_ended = true;
      continue;
    }
    m_buffer.append(buffer, static_cast<size_t>(count));
  }
}

} // namespace keap::cli
