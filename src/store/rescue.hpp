#pragma once

#include "core/error.hpp"
#include "store/credential_store.hpp"
#include "util/environment.hpp"

#include <optional>
#include <string>
#include <vector>

/// The last line of defence for a rotated token pair: when the store cannot take it, the pair goes to
/// a new 0600 file somewhere, and the person is told exactly where and how to put it back. Works for
/// any store.
namespace keap::store {

/// Where a rescue file may go, most convenient first: `first` (beside the credentials), then
/// $STATE_DIRECTORY (systemd's StateDirectory=, which outlives the unit), $XDG_STATE_HOME/keap-auth
/// (default ~/.local/state/keap-auth), $TMPDIR, /tmp.
std::vector<std::string> rescue_folders(const std::string& first, const util::EnvironmentLookup& environment);

/// Writes `content` to a new file STEM.rescue-TIME-PID in the first folder that takes it (O_EXCL,
/// 0600, fsynced). Returns its absolute path, or nothing when no folder would. Never throws.
std::optional<std::string> write_rescue_file(const std::vector<std::string>& folders, const std::string& stem,
                                             const std::string& content);

/// What the rescued credential is, for the message.
enum class RescueCause {
  rotation, ///< a refresh: Keap has already rotated the refresh token, the stored one is dead
  login,    ///< a login: the code is spent, the stored credential (if any) is still the old one
};

/// The error for a new credential the store refused (`failure`): it is written to a rescue file and
/// the Error (exit 1) names it with the command that restores it; when it can be written nowhere, the
/// Error (exit 4) says plainly that it is lost and carries it as Sensitive, for the top level to show a
/// person at a terminal. Builds the Error; never throws.
Error rescue(CredentialStore& store, const std::string& profile, const Credential& fresh, const Error& failure,
             RescueCause cause, const util::EnvironmentLookup& environment);

/// Rescue files of `stem` left in `folders` (from earlier failures), newest first.
std::vector<std::string> find_rescue_files(const std::vector<std::string>& folders, const std::string& stem);

} // namespace keap::store
