#pragma once

#include "credentials.hpp"

#include <optional>
#include <string>

namespace keap {

/// Reads the credentials file. Nothing when it does not exist ("run login"); Error naming the file
/// when it exists but cannot be read or parsed.
std::optional<Credentials> load_credentials(const std::string& path);

/// Writes the credentials file atomically with mode 0600 (see write_file_atomically).
void save_credentials(const std::string& path, const Credentials& credentials);

} // namespace keap
