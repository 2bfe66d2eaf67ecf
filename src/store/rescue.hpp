#pragma once

#include "core/error.hpp"
#include "store/credential_store.hpp"
#include "util/environment.hpp"

#include <optional>
#include <string>
#include <vector>

/// The last line of defence for a rotated token pair: when the store cannot take it, the pair goes to
/// a new 0600 file somewhere, and the person is told exactly where and how to put it back. Works for
/// any store. Nothing here throws: a rescue that failed is said, never raised over the failure it
/// rescues.
namespace keap::store {

/// Where a rescue file may go, most convenient first: `first` (beside the credentials, or the store's
/// state folder), $STATE_DIRECTORY (systemd's StateDirectory=, which outlives the unit),
/// $XDG_STATE_HOME/keap-auth (default ~/.local/state/keap-auth), then this user's own keap-auth-UID
/// folder in $TMPDIR and in /tmp (never those shared folders themselves, where anyone can plant a file
/// by the same name). Pure: nothing is created here.
std::vector<std::string> rescue_folders(const std::string& first, const util::EnvironmentLookup& environment);

/// Writes `content` to a new file STEM.rescue-TIME-PID in the first folder that takes it (each made
/// 0700 as util::create_private_folders allows, the file O_EXCL, 0600, fsynced). Returns its absolute
/// path, or nothing when no folder would.
std::optional<std::string> write_rescue_file(const std::vector<std::string>& folders, const std::string& stem,
                                             const std::string& content);

/// A credential as a rescue file holds it: the credentials file's own text (so putting it in place is a
/// `mv`) with a "rescued_for" label naming the store location and profile it belongs to.
std::string labelled(const Credential& credential, const std::string& location, const std::string& profile);

/// What the rescued credential is, for the message.
enum class RescueCause {
  rotation, ///< a refresh: Keap has already rotated the refresh token, the stored one is dead
  login,    ///< a login: the code is spent, the stored credential (if any) is still the old one
};

/// The error for a new credential the store refused (`failure`): it is written to a labelled rescue
/// file and the Error (exit 1) names it with the command that restores it; when it can be written
/// nowhere, the Error (exit 4) says plainly that it is lost and carries it as Sensitive, for the top
/// level to show a person at a terminal.
Error rescue(CredentialStore& store, const std::string& profile, const Credential& fresh, const Error& failure,
             RescueCause cause, const util::EnvironmentLookup& environment);

/// A rescue file that holds a newer credential for a profile than the store does.
struct PendingRescue {
  std::string path;
  Credential credential;
  util::TimePoint held_since; ///< when what it holds was obtained
  std::string restore;        ///< the command that puts it in place
};

/// The rescue files that belong to `profile` of `store` and hold something newer than it: regular
/// files of this user's, mode 0600, labelled with the store's location for the profile, of the same
/// kind, client, token endpoint and Keap app as what the store holds (when it holds something).
/// Newest first, by what they hold, not by their names. Never throws.
std::vector<PendingRescue> pending_rescues(CredentialStore& store, const std::string& profile,
                                           const util::EnvironmentLookup& environment);

} // namespace keap::store
