#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

/// A few threads for the work that may wait (a refresh at Keap, the store over the network), so the
/// server's own threads only ever read, route and answer.
namespace keap::agent {

class Workers {
public:
  explicit Workers(size_t count);
  ~Workers(); ///< finishes what was queued, then joins
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;
  void post(std::function<void()> job);
  /// Runs `job` at `when` (jobs due at the same time in the order posted), without holding a thread
  /// meanwhile: the proxy's callers waiting for the pacer or a retry are entries here, not threads.
  void post_at(std::chrono::steady_clock::time_point when, std::function<void()> job);
  /// True once the destructor began: jobs posted for later now run at once, and should not wait again.
  bool stopping();

private:
  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<std::function<void()>> m_jobs;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> m_later;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace keap::agent
