#include "store/file_store.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "util/atomic_file.hpp"
#include "util/duration.hpp"
#include "util/fd.hpp"
#include "util/file_error.hpp"
#include "util/file_lock.hpp"
#include "util/posix_file.hpp"
#include "util/signals.hpp"
#include "util/timestamp.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace keap::store {

namespace {

Error unreadable(const util::FileError& error) {
  return Error(ExitCode::failure, "credentials file " + error.path() + ": cannot read it: " + error.reason(),
               "check the path and its permissions");
}

Error unwritable(const std::string& path, const util::FileError& error) {
  int number = error.error_number();
  return Error(ExitCode::failure, "cannot write the credentials file " + path + ": " + error.reason(),
               number == ENOSPC   ? "free some disk space and try again"
               : number == EROFS  ? "the file system is read-only; choose another credentials_file"
               : number == EACCES ? "check the folder's permissions"
                                  : "");
}

/// The lock of one credentials file, and the re-read and durable write under it.
class FileTransaction : public Transaction {
public:
  FileTransaction(std::string target, std::chrono::milliseconds timeout) : m_target(std::move(target)) {
    try {
      m_lock.emplace(m_target + ".lock");
    } catch (const util::FileError& error) {
      throw Error(ExitCode::failure, "cannot open the lock file " + error.path() + ": " + error.reason(),
                  "the folder of the credentials file must be writable");
    }
    if (!m_lock->acquire(timeout)) {
      if (util::interrupt_requested()) {
        throw Error(ExitCode::interrupted,
                    "interrupted while waiting for the lock " + m_lock->path() + "; nothing was changed");
      }
      throw Busy(ExitCode::unavailable,
                 "another keap-auth process has held the lock " + m_lock->path() + " for more than " +
                     util::format_duration(std::chrono::duration_cast<std::chrono::seconds>(timeout)) +
                     "; nothing was changed",
                 "it is probably refreshing against a slow token endpoint; try again, or raise --lock-timeout");
    }
  }

  std::optional<StoredCredential> current() override { return read_credentials_file(m_target); }

  void commit(const Credential& fresh) override {
    try {
      util::write_file_atomically(m_target, serialize_credential(fresh));
    } catch (const util::FileError& error) {
      throw unwritable(m_target, error);
    }
  }

  void remove() override {
    if (::unlink(m_target.c_str()) != 0 && errno != ENOENT) {
      throw Error(ExitCode::failure, "cannot remove the credentials file " + m_target + ": " + std::strerror(errno),
                  "check the folder's permissions");
    }
    util::fsync_folder(util::folder_of(m_target));
  }

  std::optional<std::string> set_aside_damaged() override {
    auto aside = m_target + ".damaged-" + util::format_rfc3339(util::now_seconds());
    std::optional<std::string> content;
    try {
      content = util::read_regular_file(m_target);
    } catch (const util::FileError&) {
      return std::nullopt;
    }
    if (!content || !util::write_new_private_file(aside, *content)) {
      return std::nullopt;
    }
    return aside;
  }

private:
  std::string m_target;
  std::optional<util::FileLock> m_lock;
};

} // namespace

std::string resolve_links(const std::string& path) {
  std::string current = path;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat info {};
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) {
      return current;
    }
    std::vector<char> buffer(static_cast<size_t>(info.st_size > 0 ? info.st_size : 4096) + 1);
    ssize_t length = ::readlink(current.c_str(), buffer.data(), buffer.size());
    if (length < 0 || static_cast<size_t>(length) >= buffer.size()) {
      return current;
    }
    std::string target(buffer.data(), static_cast<size_t>(length));
    current = target.starts_with("/") ? target : util::folder_of(current) + "/" + target;
  }
  throw Error(ExitCode::failure, "credentials path " + path + " is a loop of symbolic links",
              "point the link at a file");
}

std::optional<StoredCredential> read_credentials_file(const std::string& path) {
  std::optional<std::string> text;
  try {
    text = util::read_regular_file(path);
  } catch (const util::FileError& error) {
    throw unreadable(error);
  }
  if (!text) {
    return std::nullopt;
  }
  StoredCredential loaded{parse_credential(*text, path), {}};
  if (auto warning = loose_permissions_warning(path, "your Keap tokens")) {
    loaded.warnings.push_back(*warning);
  }
  return loaded;
}

FileLayout layout_of(const Config& config, const std::vector<std::string>& declared) {
  FileLayout layout{config.profile_files, config.credentials_dir, {declared.begin(), declared.end()}, {}, {}};
  if (!config.config_file.empty()) {
    layout.ignored.insert(util::absolute_path(config.config_file));
  }
  for (const auto& [profile, file] : config.profile_files) {
    layout.ignored.insert(util::absolute_path(file));
  }
  if (config.credentials_in_state_home) {
    layout.creatable.insert(util::folder_of(config.credentials_file));
  }
  if (config.credentials_dir_in_state_home) {
    layout.creatable.insert(config.credentials_dir);
  }
  return layout;
}

FileStore::FileStore(FileLayout layout) : m_layout(std::move(layout)) {}

FileStore::FileStore(std::string default_file, bool create_folders) {
  if (create_folders) {
    m_layout.creatable.insert(util::folder_of(default_file));
  }
  m_layout.files[k_default_profile] = std::move(default_file);
}

std::string FileStore::path_of(const std::string& profile) const {
  check_profile_name(profile, "profile");
  if (auto known = m_layout.files.find(profile); known != m_layout.files.end()) {
    return known->second;
  }
  if (m_layout.folder.empty()) {
    throw Error(ExitCode::usage, "there is no place for the profile \"" + profile + "\"",
                "set credentials_dir in the config, or give the profile a credentials_file");
  }
  return m_layout.folder + "/" + profile + ".json";
}

std::optional<StoredCredential> FileStore::read_credential(const std::string& profile) {
  return read_credentials_file(path_of(profile));
}

std::unique_ptr<Transaction> FileStore::lock(const std::string& profile, std::chrono::milliseconds timeout) {
  return std::make_unique<FileTransaction>(resolve_links(path_of(profile)), timeout);
}

std::vector<std::string> FileStore::profiles() {
  std::set<std::string> found(m_layout.declared);
  std::error_code ignored;
  for (const auto& [profile, file] : m_layout.files) {
    if (std::filesystem::exists(file, ignored) || std::filesystem::is_symlink(file, ignored)) {
      found.insert(profile);
    }
  }
  if (!m_layout.folder.empty()) {
    // NAME.json with a valid NAME; lock, rescue, pending and rate-limit files end otherwise.
    for (std::filesystem::directory_iterator entry(m_layout.folder, ignored), end; !ignored && entry != end;
         entry.increment(ignored)) {
      auto name = entry->path().filename().string();
      auto stem = name.size() > 5 && name.ends_with(".json") ? name.substr(0, name.size() - 5) : std::string();
      if (is_profile_name(stem) && !m_layout.files.count(stem) &&
          !m_layout.ignored.count(util::absolute_path(entry->path().string()))) {
        found.insert(stem);
      }
    }
  }
  return {found.begin(), found.end()};
}

std::string FileStore::describe(const std::string& profile) const {
  return "credentials file " + util::absolute_path(path_of(profile));
}

std::string FileStore::location(const std::string& profile) const {
  return util::absolute_path(resolve_links(path_of(profile)));
}

std::optional<std::string> FileStore::check_writable(const std::string& profile) {
  auto target = resolve_links(path_of(profile));
  auto folder = util::folder_of(target);
  std::optional<std::string> notice;
  try {
    std::error_code missing;
    if (m_layout.creatable.count(folder) && !std::filesystem::exists(folder, missing)) {
      util::create_private_folders(folder);
      notice = "created the folder " + util::absolute_path(folder) + " (mode 0700) for the credentials";
    } else if (util::create_private_folder(folder)) {
      notice = "created the folder " + util::absolute_path(folder) + " (mode 0700) for the credentials";
    }
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, "the credentials cannot be saved to " + target + ": " + error.what(),
                "create the folder first, or choose another --credentials file");
  }
  // A probe file proves the folder takes new files, as the atomic write will need.
  std::string probe = folder + "/.keap-auth-probe-XXXXXX";
  std::vector<char> name(probe.begin(), probe.end());
  name.push_back('\0');
  util::Fd file(::mkstemp(name.data()));
  if (!file) {
    int error = errno;
    throw Error(ExitCode::usage,
                "the credentials cannot be saved to " + target + ": the folder " + folder +
                    " does not take new files (" + std::strerror(error) + ")",
                "fix the folder's permissions, or choose another --credentials file; nothing was started");
  }
  ::unlink(name.data());
  return notice;
}

std::pair<std::string, std::string> FileStore::rescue_location(const std::string& profile) const {
  auto target = resolve_links(path_of(profile));
  return {util::folder_of(target), std::filesystem::path(target).filename().string()};
}

std::string FileStore::companion_file(const std::string& profile, const std::string& suffix) const {
  return resolve_links(path_of(profile)) + suffix;
}

std::string FileStore::restore_command(const std::string& rescue_file, const std::string& profile) const {
  return "mv '" + util::absolute_path(rescue_file) + "' '" + util::absolute_path(resolve_links(path_of(profile))) + "'";
}

} // namespace keap::store
