#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

namespace keap::test {

/// A TCP proxy on 127.0.0.1 in front of a loopback port, whose behaviour the test switches at any moment.
class TcpProxy {
public:
  enum class Mode {
    /// Forward both ways.
    pass,
    /// Keep every connection open but forward nothing (a silent partition); data waits, and goes on when the
    /// mode is pass again.
    stall,
    /// Close every open connection at once (both sides); new connections are accepted and closed at once
    /// while cut.
    cut,
    /// Forward; when the client sends a PostgreSQL frontend message whose SQL is COMMIT (case-insensitive,
    /// surrounding blanks and a trailing ';' allowed) as a simple Query 'Q', or as a Parse 'P' (then up to its
    /// Sync, which makes the server run it), forward it to the server, wait for the server's answer (so the
    /// commit has happened), then close the client side without relaying that answer; then go back to pass
    /// by itself.
    drop_commit_reply,
  };
  explicit TcpProxy(int target_port); ///< listens on 127.0.0.1:0
  ~TcpProxy();                        ///< stops its thread, closes everything
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return m_port; }
  /// Takes effect before it returns: no byte moves against the new mode afterwards.
  void set_mode(Mode mode);
  Mode mode() const;
  size_t connections() const; ///< accepted so far
  size_t commits_dropped() const;

private:
  void serve();
  /// The mode for the thread's next round (nothing when stopping), telling set_mode it has been seen.
  std::optional<Mode> take_up_mode(uint64_t& cuts);
  void note_dropped_commit();

  int m_target_port;
  int m_port = 0;
  int m_listener = -1;
  int m_wake = -1;
  mutable std::mutex m_mutex;
  std::condition_variable m_applied_changed;
  Mode m_mode = Mode::pass;
  uint64_t m_requests = 0; ///< set_mode calls so far
  uint64_t m_applied = 0;  ///< of which the thread has taken up
  uint64_t m_cuts = 0;
  bool m_stopping = false;
  size_t m_connections = 0;
  size_t m_commits_dropped = 0;
  std::thread m_thread;
};

} // namespace keap::test
