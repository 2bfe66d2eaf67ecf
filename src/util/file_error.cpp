#include "util/file_error.hpp"

#include <cstring>

namespace keap::util {

namespace {

std::string reason_for(int error_number, const std::string& detail) {
  return detail.empty() ? std::string(std::strerror(error_number)) : detail;
}

} // namespace

FileError::FileError(std::string path, std::string action, int error_number, std::string detail)
    : std::runtime_error("cannot " + action + " " + path + ": " + reason_for(error_number, detail)),
      m_path(std::move(path)), m_action(std::move(action)), m_error_number(error_number),
      m_reason(reason_for(error_number, detail)) {}

} // namespace keap::util
