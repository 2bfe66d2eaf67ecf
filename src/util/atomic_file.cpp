#include "util/atomic_file.hpp"

#include "util/crash_point.hpp"
#include "util/file_error.hpp"
#include "util/posix_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include <sys/stat.h>

namespace keap::util {

AtomicFile::AtomicFile(std::string path) : m_path(std::move(path)) {
  std::string name = std::filesystem::path(m_path).filename().string();
  std::string pattern = folder_of(m_path) + "/." + name + ".tmp-XXXXXX";
  std::vector<char> temp(pattern.begin(), pattern.end());
  temp.push_back('\0');
  m_file.reset(::mkstemp(temp.data()));
  if (!m_file) {
    throw FileError(m_path, "write", errno,
                    std::string("cannot create a temporary file in ") + folder_of(m_path) + ": " +
                        std::strerror(errno));
  }
  m_temp = temp.data();
  if (::fchmod(m_file.get(), 0600) != 0) {
    fail("fchmod", errno);
  }
}

AtomicFile::~AtomicFile() {
  if (!m_committed && !m_temp.empty()) {
    ::unlink(m_temp.c_str());
  }
}

void AtomicFile::fail(const char* action, int error_number) {
  ::unlink(m_temp.c_str());
  m_temp.clear();
  throw FileError(m_path, "write", error_number, std::string(action) + ": " + std::strerror(error_number));
}

void AtomicFile::write(std::string_view content) {
  if (!write_all(m_file.get(), content)) {
    fail("write", errno);
  }
}

void AtomicFile::commit() {
  if (::fsync(m_file.get()) != 0) {
    fail("fsync", errno);
  }
  if (m_file.close() != 0) {
    fail("close", errno);
  }
  crash_point("before-rename");
  if (::rename(m_temp.c_str(), m_path.c_str()) != 0) {
    fail("rename", errno);
  }
  m_committed = true;
  crash_point("after-rename");
  fsync_folder(folder_of(m_path)); // makes the rename durable; the data itself is already safe
}

void write_file_atomically(const std::string& path, std::string_view content) {
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

} // namespace keap::util
