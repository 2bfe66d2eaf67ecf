#pragma once

#include "core/config.hpp"
#include "store/credential_store.hpp"

#include <map>
#include <set>

namespace keap::store {

/// The credential store of plain files: one credentials file per profile, written atomically (0600,
/// temp file, fsync, rename, fsync the folder), its flock in FILE.lock beside it.
///
/// A symbolic link as the credentials path is followed on purpose, even when it dangles: deployments
/// point a fixed path at a volume before the first login, and replacing the link with a regular file
/// would leave the real file stale. The lock, the temp file and the rename all act on the target.
/// Where each profile's file is.
struct FileLayout {
  std::map<std::string, std::string> files; ///< profiles whose file the configuration names
  std::string folder;                       ///< every other profile: FOLDER/PROFILE.json (none when empty)
  std::set<std::string> declared;           ///< profiles listed even before they have a file (the config's)
  /// Folders that may be made with their parents (the XDG state folders, which the XDG specification
  /// says to create); any other folder is made at most one level deep.
  std::set<std::string> creatable;
  /// Files in the folder that are not profiles whatever their names (the config file), absolute.
  std::set<std::string> ignored;
};

/// The layout the configuration describes: its profile_files, credentials_dir and profiles.
FileLayout layout_of(const Config& config, const std::vector<std::string>& declared);

class FileStore : public CredentialStore {
public:
  explicit FileStore(FileLayout layout);
  /// Only the default profile, in `default_file`; `create_folders` as for FileLayout::creatable.
  explicit FileStore(std::string default_file, bool create_folders = false);

  std::optional<StoredCredential> read_credential(const std::string& profile) override;
  std::unique_ptr<Transaction> lock(const std::string& profile, std::chrono::milliseconds timeout) override;
  std::vector<std::string> profiles() override;
  std::string describe(const std::string& profile) const override;
  std::string protection() const override { return "mode 0600"; }
  std::string location(const std::string& profile) const override;
  std::optional<std::string> check_writable(const std::string& profile) override;
  std::pair<std::string, std::string> rescue_location(const std::string& profile) const override;
  std::string companion_file(const std::string& profile, const std::string& suffix) const override;
  std::string restore_command(const std::string& rescue_file, const std::string& profile) const override;

  /// The path a profile's credentials are found at (as configured; links not resolved). Error (exit 2)
  /// for a name that is not a profile name, or a profile the layout has no place for.
  std::string path_of(const std::string& profile) const;

private:
  FileLayout m_layout;
};

/// The file a credentials path finally names: symbolic links followed (up to 40), even dangling ones.
/// Throws Error (exit 1) for a loop. Never throws on a missing file.
std::string resolve_links(const std::string& path);

/// Reads one credentials file: nothing when it does not exist; Error naming it otherwise. Pure apart
/// from the read; used by the store and by the light program's hot path alike.
std::optional<StoredCredential> read_credentials_file(const std::string& path);

} // namespace keap::store
