#include "agent/workers.hpp"

namespace keap::agent {

Workers::Workers(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    m_threads.emplace_back([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(m_mutex);
          m_ready.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
          if (m_jobs.empty()) {
            return;
          }
          job = std::move(m_jobs.front());
          m_jobs.pop_front();
        }
        job();
      }
    });
  }
}

Workers::~Workers() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_ready.notify_all();
  for (auto& thread : m_threads) {
    thread.join();
  }
}

void Workers::post(std::function<void()> job) {
  {
    std::lock_guard lock(m_mutex);
    m_jobs.push_back(std::move(job));
  }
  m_ready.notify_one();
}

} // namespace keap::agent
