#include "net/connection_threads.hpp"

namespace keap::net {

void ConnectionThreads::enqueue(std::function<void()> task) {
  std::unique_lock lock(m_mutex);
  join_finished();
  m_room.wait(lock, [this] { return m_running < k_most_connections; });
  ++m_running;
  auto id = m_next_id++;
  std::function<void()> run = [this, id, task] {
    task();
    std::lock_guard inner(m_mutex);
    --m_running;
    m_finished.push_back(id);
    m_room.notify_all();
  };
  try {
    m_threads.emplace(id, std::thread(run));
  } catch (const std::system_error&) {
    // No thread to be had (a resource limit): serve this connection on httplib's listener thread,
    // slower but never dropped (the task owns the socket and is what closes it).
    lock.unlock();
    task();
    lock.lock();
    --m_running;
    m_room.notify_all();
  }
}

void ConnectionThreads::shutdown() {
  std::unique_lock lock(m_mutex);
  m_room.wait(lock, [this] { return m_running == 0; });
  auto threads = std::move(m_threads);
  lock.unlock();
  for (auto& [id, thread] : threads) {
    thread.join();
  }
}

void ConnectionThreads::join_finished() {
  for (auto id : m_finished) {
    auto found = m_threads.find(id);
    found->second.join();
    m_threads.erase(found);
  }
  m_finished.clear();
}

} // namespace keap::net
