#pragma once

#include <chrono>
#include <string>

namespace keap {

/// An exclusive flock(2) on a lock file (created 0600, never deleted: deleting lock files races),
/// held until destruction, including when the process dies: the kernel releases it.
class FileLock {
public:
  /// Waits at most `timeout` for the lock; throws Error (exit 5) naming the lock file when it runs out.
  FileLock(const std::string& path, std::chrono::milliseconds timeout);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

private:
  int m_fd = -1;
};

} // namespace keap
