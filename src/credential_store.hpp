#pragma once

#include "credentials.hpp"

#include <optional>
#include <string>

namespace keap {

/// A credentials file as read, with what the reader should be warned about.
struct StoredCredentials {
  Credentials credentials;
  std::optional<std::string> warning; ///< e.g. the file is readable by group or others
};

/// Reads the credentials file. Nothing when it does not exist ("run login"); Error naming the file
/// when it exists but cannot be read or parsed. Takes no lock: writers replace the file by rename,
/// so a reader always sees a whole file.
std::optional<StoredCredentials> read_credentials(const std::string& path);

/// read_credentials() without the warning, for callers that have nobody to tell.
std::optional<Credentials> load_credentials(const std::string& path);

/// The file a credentials path names. A symbolic link is followed, deliberately: deployments link a
/// fixed path to where the file really lives, and replacing the link with a regular file would leave
/// the real file stale. Writes, the lock and the rename all act on the target.
std::string credentials_target(const std::string& path);

/// Writes the credentials file (the link's target, for a link) atomically with mode 0600.
void save_credentials(const std::string& path, const Credentials& credentials);

/// The lock file that serialises refreshes of `credentials_path`.
std::string lock_path_for(const std::string& credentials_path);

} // namespace keap
