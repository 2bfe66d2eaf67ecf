#include "atomic_file.hpp"

#include "error.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keap {

namespace {

/// Closes a descriptor when it goes out of scope.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  int get() const { return m_fd; }
  /// Closes now, so a failing close (NFS reports write errors there) can be seen.
  int close() {
    int result = ::close(m_fd);
    m_fd = -1;
    return result;
  }

private:
  int m_fd;
};

Error write_error(const std::string& path, const std::string& what, int error_number) {
  return Error(ExitCode::failure, "cannot write " + path + ": " + what + ": " + std::strerror(error_number),
               error_number == ENOSPC   ? "free some disk space and try again"
               : error_number == EROFS  ? "the file system is read-only; choose another credentials_file"
               : error_number == EACCES ? "check the folder's permissions"
                                        : "");
}

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    content.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

std::string folder_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

} // namespace

void create_private_folders(const std::string& folder) {
  std::filesystem::path current;
  for (const auto& part : std::filesystem::path(folder)) {
    current /= part;
    if (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST) {
      throw write_error(folder, "cannot create folder " + current.string(), errno);
    }
  }
}

void write_file_atomically(const std::string& path, std::string_view content) {
  std::string folder = folder_of(path);
  create_private_folders(folder);
  std::string name = std::filesystem::path(path).filename().string();
  std::string pattern = folder + "/." + name + ".tmp-XXXXXX";
  std::vector<char> temp_path(pattern.begin(), pattern.end());
  temp_path.push_back('\0');
  // mkstemp opens with O_CREAT|O_EXCL and mode 0600 whatever the umask, and never follows a symlink.
  FileDescriptor file(::mkstemp(temp_path.data()));
  if (file.get() < 0) {
    throw write_error(path, "cannot create a temporary file in " + folder, errno);
  }
  std::string temp(temp_path.data());
  auto fail = [&](const char* what) {
    int saved = errno;
    ::unlink(temp.c_str());
    return write_error(path, what, saved);
  };
  if (::fchmod(file.get(), 0600) != 0) {
    throw fail("fchmod");
  }
  if (!write_all(file.get(), content)) {
    throw fail("write");
  }
  if (::fsync(file.get()) != 0) {
    throw fail("fsync");
  }
  if (file.close() != 0) {
    throw fail("close");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    throw fail("rename");
  }
  FileDescriptor directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() >= 0) {
    ::fsync(directory.get()); // makes the rename durable; the data is already safe if this fails
  }
}

bool write_new_private_file(const std::string& path, std::string_view content) {
  FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (file.get() < 0) {
    return false;
  }
  if (::fchmod(file.get(), 0600) != 0 || !write_all(file.get(), content) || ::fsync(file.get()) != 0 ||
      file.close() != 0) {
    ::unlink(path.c_str());
    return false;
  }
  return true;
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw Error(ExitCode::failure, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::string content;
  char buffer[8192];
  for (;;) {
    ssize_t count = ::read(file.get(), buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      throw Error(ExitCode::failure, "cannot read " + path + ": " + std::strerror(errno));
    }
    if (count == 0) {
      return content;
    }
    content.append(buffer, static_cast<size_t>(count));
  }
}

} // namespace keap
