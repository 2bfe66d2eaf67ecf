#pragma once

#include <utility>

#include <unistd.h>

namespace keap::util {

/// Owns a file descriptor and closes it when it goes out of scope, so no path leaks one.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(std::exchange(other.m_fd, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }

  void reset(int fd = -1) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = fd;
  }

  /// Closes now and returns close()'s result: NFS reports write errors only there.
  int close() { return ::close(std::exchange(m_fd, -1)); }

private:
  int m_fd = -1;
};

} // namespace keap::util
