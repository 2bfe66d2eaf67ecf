#pragma once

#include <stdexcept>
#include <string>

namespace keap::util {

/// A file operation that failed: which path, what was being done, and errno (0 when the problem is
/// not a system call's, such as "is not a regular file"). util throws it; the layer that knows what the
/// file is for translates it into keap::Error with the exit code and hint that fit.
class FileError : public std::runtime_error {
public:
  /// The message reads "cannot ACTION PATH: REASON", where REASON is `detail` or strerror(errno).
  FileError(std::string path, std::string action, int error_number, std::string detail = {});

  const std::string& path() const { return m_path; }
  const std::string& action() const { return m_action; }
  int error_number() const { return m_error_number; }
  /// strerror(errno) or the detail: the part after the colon.
  const std::string& reason() const { return m_reason; }

private:
  std::string m_path;
  std::string m_action;
  int m_error_number;
  std::string m_reason;
};

} // namespace keap::util
