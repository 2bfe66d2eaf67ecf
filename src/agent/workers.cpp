#include "agent/workers.hpp"

namespace keap::agent {

Workers::Workers(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    m_threads.emplace_back([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(m_mutex);
          for (;;) {
            auto now = std::chrono::steady_clock::now();
            while (!m_later.empty() && (m_later.begin()->first <= now || m_stopping)) {
              m_jobs.push_back(std::move(m_later.begin()->second)); // due (or stopping: run it now)
              m_later.erase(m_later.begin());
            }
            if (!m_jobs.empty() || m_stopping) {
              break;
            }
            if (m_later.empty()) {
              m_ready.wait(lock);
            } else {
              auto until = m_later.begin()->first; // a copy: another thread may take that entry meanwhile
              m_ready.wait_until(lock, until);
            }
          }
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

bool Workers::stopping() {
  std::lock_guard lock(m_mutex);
  return m_stopping;
}

void Workers::post_at(std::chrono::steady_clock::time_point when, std::function<void()> job) {
  {
    std::lock_guard lock(m_mutex);
    m_later.emplace(when, std::move(job));
  }
  m_ready.notify_all(); // a sleeping thread may wait for a later time than this one
}

} // namespace keap::agent
