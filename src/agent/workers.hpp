#pragma once

#include <condition_variable>
#include <deque>
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

private:
  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<std::function<void()>> m_jobs;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace keap::agent
