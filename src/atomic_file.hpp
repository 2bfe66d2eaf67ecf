#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keap {

/// Replaces `path` with `content` so that every reader sees either the old file or the whole new
/// one, and the new one survives a crash or power loss once this returns: a temp file in the same
/// folder created 0600 with O_EXCL (never readable by others, not even for an instant, whatever the
/// umask), write, fsync, rename over `path`, fsync the folder. A missing folder is created 0700.
/// On failure the old file is untouched, the temp file removed, and Error (exit 1) names the path
/// and the reason.
void write_file_atomically(const std::string& path, std::string_view content);

/// The file's contents, or nothing when it does not exist. Throws Error naming the path for any
/// other failure (permissions, a folder in the way).
std::optional<std::string> read_file_if_exists(const std::string& path);

/// Creates a new file (never replacing or following anything: O_CREAT|O_EXCL|O_NOFOLLOW) with mode
/// 0600 and `content`, fsynced. Returns false, leaving nothing behind, when any step fails.
bool write_new_private_file(const std::string& path, std::string_view content);

/// Creates `folder` and any missing parents with mode 0700. Throws Error naming the folder.
void create_private_folders(const std::string& folder);

} // namespace keap
