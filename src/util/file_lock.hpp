#pragma once

#include "util/fd.hpp"

#include <chrono>
#include <string>

namespace keap::util {

/// An exclusive flock(2) on a lock file (created 0600, never deleted: deleting lock files races), held
/// until destruction, and released by the kernel when the process dies, however it dies.
class FileLock {
public:
  /// Opens (creating) the lock file; FileError when it cannot.
  explicit FileLock(const std::string& path);

  /// Waits at most `timeout` for the lock. False when someone else still holds it then, or when a
  /// deferred SIGINT/SIGTERM has been recorded (util::interrupt_requested() says which). The wait polls
  /// (5 ms doubling to 100 ms) rather than blocking in flock, so no timer signal is needed and a Ctrl-C
  /// during the wait ends the process at once (or, deferred, the wait), which is safe: nothing has been
  /// sent yet.
  bool acquire(std::chrono::milliseconds timeout);

  const std::string& path() const { return m_path; }

private:
  std::string m_path;
  Fd m_file;
};

} // namespace keap::util
