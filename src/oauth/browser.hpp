#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keap::oauth {

/// The command that opens `url` for one $BROWSER entry: words split like a shell would (quotes, no
/// expansion) with "%s" replaced by the URL, or the URL appended as the last argument when there is no
/// "%s"; `xdg-open URL` when the entry is empty. Pure.
std::vector<std::string> browser_command(std::string_view browser_setting, const std::string& url);

/// Every command to try, in order: $BROWSER is a colon-separated list, as xdg-utils and Python's
/// webbrowser read it. Pure.
std::vector<std::vector<std::string>> browser_commands(std::string_view browser_setting, const std::string& url);

/// Starts `command` without waiting for it to finish (some browser commands return only when the page
/// is done), then watches it for `grace`: one that cannot be started, or exits non-zero within it, is a
/// failure, returned as a text for the person; one that exits 0 or is still running is a success. It
/// gets no stdin, writes to our stderr (never our stdout, which may carry --json), inherits none of our
/// descriptors, and its environment holds only what a browser needs to find the desktop, the user and
/// the locale (an allow list: PATH, HOME, DISPLAY, XDG_*, LC_*, ...), never a secret.
std::optional<std::string> start_browser(const std::vector<std::string>& command, std::chrono::milliseconds grace);

} // namespace keap::oauth
