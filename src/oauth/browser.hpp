#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keap::oauth {

/// The command that opens `url`: $BROWSER split into words like a shell would (quotes, no
/// expansion) with "%s" replaced by the URL, or the URL appended as the last argument when there is
/// no "%s"; `xdg-open URL` when $BROWSER is empty. Pure.
std::vector<std::string> browser_command(std::string_view browser_setting, const std::string& url);

/// Starts the command without waiting for it (some browser commands return only when the page is
/// done). It gets no stdin, writes to our stderr (never our stdout, which may carry --json), inherits
/// none of our descriptors, and its environment has no KEAP_CLIENT_SECRET or KEAP_API_KEY. Returns an error text
/// when it could not be started.
std::optional<std::string> start_browser(const std::vector<std::string>& command);

} // namespace keap::oauth
