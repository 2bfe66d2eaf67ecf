#pragma once

#include "util/fd.hpp"

#include <string>
#include <string_view>

namespace keap::util {

/// Replaces a file so that every reader sees either the old file or the whole new one, and the new one
/// survives a crash or power loss once commit() returns. The constructor creates a temp file in the same
/// folder, 0600 from the first instant whatever the umask (mkstemp: O_CREAT|O_EXCL, never follows a
/// link); write() fills it; commit() fsyncs, renames it over the path and fsyncs the folder. Without
/// commit() the temp file is removed and the old file stays as it was. Every failure is a FileError.
class AtomicFile {
public:
  /// The folder must exist (callers decide what may be created).
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view content);
  void commit();

private:
  [[noreturn]] void fail(const char* action, int error_number);

  std::string m_path;
  std::string m_temp;
  Fd m_file;
  bool m_committed = false;
};

/// AtomicFile in one call.
void write_file_atomically(const std::string& path, std::string_view content);

} // namespace keap::util
