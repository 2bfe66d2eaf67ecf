#include "file_lock.hpp"

#include "duration.hpp"
#include "error.hpp"

#include <cerrno>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace keap {

FileLock::FileLock(const std::string& path, std::chrono::milliseconds timeout) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (m_fd < 0) {
    throw Error(ExitCode::failure, "cannot open the lock file " + path + ": " + std::strerror(errno),
                "the folder of the credentials file must be writable");
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(5);
  while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int saved = errno;
      ::close(m_fd);
      throw Error(ExitCode::failure, "cannot lock " + path + ": " + std::strerror(saved));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(m_fd);
      throw Error(ExitCode::unavailable,
                  "another keap-auth process has held the lock " + path + " for more than " +
                      format_duration(std::chrono::duration_cast<std::chrono::seconds>(timeout)) +
                      "; nothing was changed",
                  "it is probably refreshing against a slow token endpoint; try again, or raise --lock-timeout");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

FileLock::~FileLock() {
  if (m_fd >= 0) {
    ::close(m_fd); // releases the flock
  }
}

} // namespace keap
