#pragma once

#include "util/environment.hpp"

#include <string>

namespace keap::oauth {

/// What the browser is started with instead of the authorize URL: a page that only this user can
/// read (0600 in a fresh 0700 folder) and that forwards the browser to the authorize URL. The state is
/// in that URL, and a browser's arguments are readable by every local user (/proc/PID/cmdline): another
/// user who read the state could cancel the login or slip in a code of their own account. The folder is
/// $XDG_RUNTIME_DIR when set (per user, in memory), else $TMPDIR or /tmp. Removed on destruction.
class StartPage {
public:
  /// Throws Error (exit 1) when no private folder can be made.
  StartPage(const std::string& authorize_url, const util::EnvironmentLookup& environment);
  ~StartPage();
  StartPage(const StartPage&) = delete;
  StartPage& operator=(const StartPage&) = delete;

  /// file:///…/start.html, for the browser's command line.
  std::string url() const { return "file://" + m_file; }

private:
  std::string m_folder;
  std::string m_file;
};

} // namespace keap::oauth
