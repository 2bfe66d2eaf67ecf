#include "credential_store.hpp"

#include "atomic_file.hpp"

#include <cstdio>
#include <filesystem>

#include <sys/stat.h>

namespace keap {

std::optional<StoredCredentials> read_credentials(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) {
    return std::nullopt;
  }
  StoredCredentials stored{parse_credentials(*text, path), std::nullopt};
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", info.st_mode & 07777);
    stored.warning = "permissions " + std::string(mode) + " for " + path +
                     " are too open: other users may read your Keap tokens; run `chmod 600 " + path + "`";
  }
  return stored;
}

std::optional<Credentials> load_credentials(const std::string& path) {
  auto stored = read_credentials(path);
  if (!stored) {
    return std::nullopt;
  }
  return stored->credentials;
}

std::string credentials_target(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_symlink(path, error)) {
    auto target = std::filesystem::weakly_canonical(path, error);
    if (!error) {
      return target.string();
    }
  }
  return path;
}

void save_credentials(const std::string& path, const Credentials& credentials) {
  write_file_atomically(credentials_target(path), serialize_credentials(credentials));
}

std::string lock_path_for(const std::string& credentials_path) { return credentials_target(credentials_path) + ".lock"; }

} // namespace keap
