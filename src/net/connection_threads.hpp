#pragma once

#include <httplib.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace keap::net {

/// A task queue for httplib servers that gives each connection its own thread (up to a cap) instead of
/// httplib's fixed pool of 8, so clients that connect and stall cannot keep the browser's real request
/// waiting for a worker. Threads are joined, never detached: a thread still unwinding when the process
/// exits would race OpenSSL's per-thread cleanup (LeakSanitizer caught exactly that).
class ConnectionThreads : public httplib::TaskQueue {
public:
  void enqueue(std::function<void()> task) override;
  void shutdown() override;

private:
  /// Joins the threads that have finished their connection; called with the mutex held, which they no
  /// longer need.
  void join_finished();

  static constexpr int k_most_connections = 256;
  std::mutex m_mutex;
  std::condition_variable m_room;
  int m_running = 0;
  unsigned long m_next_id = 0;
  std::map<unsigned long, std::thread> m_threads;
  std::vector<unsigned long> m_finished;
};

} // namespace keap::net
