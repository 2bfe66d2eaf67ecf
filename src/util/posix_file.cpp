#include "util/posix_file.hpp"

#include "util/fd.hpp"
#include "util/file_error.hpp"

#include <cerrno>
#include <filesystem>
#include <optional>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keap::util {

namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) {
    return "a folder";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "a device";
  }
  return "not a regular file";
}

FileError too_large(const std::string& path, size_t max_bytes) {
  return FileError(path, "read", 0,
                   "it is larger than " + std::to_string(max_bytes) + " bytes, far more than it should hold");
}

} // namespace

std::optional<std::string> read_regular_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it anyway.
  Fd file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!file) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw FileError(path, "read", errno);
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) {
    throw FileError(path, "read", errno);
  }
  if (!S_ISREG(info.st_mode)) {
    throw FileError(path, "read", 0, "it is " + kind_of(info.st_mode) + ", not a regular file");
  }
  if (static_cast<unsigned long long>(info.st_size) > max_bytes) {
    throw too_large(path, max_bytes);
  }
  std::string content;
  content.reserve(static_cast<size_t>(info.st_size));
  char buffer[16384];
  for (;;) {
    ssize_t count = ::read(file.get(), buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      throw FileError(path, "read", errno);
    }
    if (count == 0) {
      return content;
    }
    content.append(buffer, static_cast<size_t>(count));
    if (content.size() > max_bytes) {
      throw too_large(path, max_bytes); // it grew while we read
    }
  }
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

bool fsync_folder(const std::string& folder) {
  Fd directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return directory && ::fsync(directory.get()) == 0;
}

bool create_private_folder(const std::string& folder) {
  if (::mkdir(folder.c_str(), 0700) == 0) {
    return true;
  }
  int error = errno;
  struct stat info {};
  if (error == EEXIST && ::stat(folder.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) {
      return false;
    }
    throw FileError(folder, "create the folder", 0, "something that is not a folder is in the way");
  }
  if (error == ENOENT) {
    throw FileError(folder, "create the folder", 0, "its parent folder " + folder_of(folder) + " does not exist");
  }
  throw FileError(folder, "create the folder", error);
}

namespace {

/// True for a folder every user may write to (/tmp), where anyone can make a name first.
bool shared(const std::string& folder) {
  struct stat info {};
  return ::stat(folder.c_str(), &info) == 0 && (info.st_mode & S_IWOTH) != 0;
}

/// Why a folder found in a shared one cannot be trusted: another user made it (or the link to it), so
/// it is theirs to swap under us, as a /tmp/keap-auth made by someone else would be.
std::optional<std::string> untrusted(const std::string& folder) {
  struct stat link {
  }, target{};
  if (::lstat(folder.c_str(), &link) != 0 || ::stat(folder.c_str(), &target) != 0) {
    return "it cannot be examined";
  }
  auto ours = [](const struct stat& info) { return info.st_uid == 0 || info.st_uid == ::geteuid(); };
  if (!ours(link) || !ours(target)) {
    return "another user owns it";
  }
  if (!S_ISDIR(target.st_mode)) {
    return "it is not a folder";
  }
  if ((target.st_mode & S_IWOTH) != 0 && !((target.st_mode & S_ISVTX) != 0 && target.st_uid == 0)) {
    return "every user may write to it";
  }
  return std::nullopt;
}

} // namespace

void create_private_folders(const std::string& folder) {
  std::filesystem::path current;
  for (const auto& part : std::filesystem::path(folder)) {
    bool in_shared = !current.empty() && shared(current.string());
    current /= part;
    if (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST) {
      throw FileError(current.string(), "create the folder", errno);
    }
    if (auto problem = in_shared ? untrusted(current.string()) : std::nullopt) {
      throw FileError(current.string(), "use the folder", 0, *problem + ", so keap-auth will not keep anything there");
    }
  }
  struct stat info {};
  if (::stat(folder.c_str(), &info) == 0 && (info.st_mode & S_IWOTH) != 0) {
    throw FileError(folder, "use the folder", 0, "others may write to it, so keap-auth will not keep anything there");
  }
}

std::string private_folder_name(const std::string& base) { return base + "/keap-auth-" + std::to_string(::geteuid()); }

bool write_new_private_file(const std::string& path, std::string_view content) {
  Fd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file) {
    return false;
  }
  if (::fchmod(file.get(), 0600) != 0 || !write_all(file.get(), content) || ::fsync(file.get()) != 0 ||
      file.close() != 0) {
    ::unlink(path.c_str());
    return false;
  }
  fsync_folder(folder_of(path));
  return true;
}

std::optional<unsigned> file_mode(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return std::nullopt;
  }
  return static_cast<unsigned>(info.st_mode & 07777);
}

std::string absolute_path(const std::string& path) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

} // namespace keap::util
