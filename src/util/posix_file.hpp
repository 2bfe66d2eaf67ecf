#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

/// The small set of POSIX file operations keap-auth builds on. Failures throw util::FileError naming the
/// path; the caller translates it into what it means for that file.
namespace keap::util {

/// The most keap-auth reads of any local file it is given (config, credentials, pending login, secret).
inline constexpr size_t k_local_file_limit = 1024 * 1024;

/// Reads the regular file at `path` whole, or returns nothing when it does not exist. Never blocks and
/// never reads without bound: it is opened non-blocking and checked with fstat, so a FIFO, a device, a
/// folder or a file larger than `max_bytes` is a FileError saying so, like every other failure.
std::optional<std::string> read_regular_file(const std::string& path, size_t max_bytes = k_local_file_limit);

/// write(2) until everything is written, retrying on EINTR. False on any other failure (errno is set).
bool write_all(int fd, std::string_view content);

/// The folder part of `path`, "." for a bare file name.
std::string folder_of(const std::string& path);

/// fsync(2) on a folder, which makes a rename in it survive a crash. False when it fails.
bool fsync_folder(const std::string& folder);

/// Creates `folder` with mode 0700 if it does not exist; its parent must exist, so a typo never grows
/// a chain of folders. Returns true when it created the folder. FileError otherwise.
bool create_private_folder(const std::string& folder);

/// Creates `folder` and any missing parents with mode 0700, for the XDG base folders (which the XDG
/// specification says to create) and keap-auth's own state. A folder found inside one that every user
/// may write to (/tmp) must be this user's or root's (and so must a link there, and where it leads),
/// and `folder` itself must not be writable by every user. FileError naming the first folder that cannot
/// be made or trusted: a /tmp/keap-auth-UID that another user made first is refused, not used.
void create_private_folders(const std::string& folder);

/// `base`/keap-auth-UID: this user's own folder in a shared one such as /tmp (not created here).
std::string private_folder_name(const std::string& base);

/// Creates a new file, never replacing or following anything (O_CREAT|O_EXCL|O_NOFOLLOW), mode 0600
/// from the first instant, with `content`, fsynced. False, leaving nothing behind, when any step fails.
bool write_new_private_file(const std::string& path, std::string_view content);

/// The permission bits of `path` (a link is followed), or nothing when it cannot be examined.
std::optional<unsigned> file_mode(const std::string& path);

/// An absolute, normalised form of `path` for messages; `path` itself when the working folder is gone.
/// Never throws, so it is safe on paths that rescue a token.
std::string absolute_path(const std::string& path);

} // namespace keap::util
