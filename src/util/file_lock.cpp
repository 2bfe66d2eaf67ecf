#include "util/file_lock.hpp"

#include "util/file_error.hpp"
#include "util/signals.hpp"

#include <algorithm>
#include <cerrno>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>

namespace keap::util {

FileLock::FileLock(const std::string& path)
    : m_path(path), m_file(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
  if (!m_file) {
    throw FileError(path, "open the lock file", errno);
  }
}

bool FileLock::acquire(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(5);
  while (::flock(m_file.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      throw FileError(m_path, "lock", errno);
    }
    if (std::chrono::steady_clock::now() >= deadline || interrupt_requested()) {
      return false; // the caller tells the two apart by interrupt_requested()
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
  return true;
}

} // namespace keap::util
