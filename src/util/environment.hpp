#pragma once

#include <functional>
#include <optional>
#include <string>

/// The process environment and the XDG base folders derived from it.
namespace keap::util {

/// Reads one environment variable (an empty value counts as unset); a seam so tests need not change
/// the process environment.
using EnvironmentLookup = std::function<std::optional<std::string>(const char* name)>;
EnvironmentLookup process_environment();

/// $HOME, else the home folder in the user's passwd entry (cron and some service managers start
/// programs without HOME). Nothing when neither names an absolute folder.
std::optional<std::string> home_folder(const EnvironmentLookup& environment);

/// $XDG_STATE_HOME, else HOME/.local/state (XDG Base Directory 0.8); nothing without a home.
std::optional<std::string> state_home(const EnvironmentLookup& environment);

/// $XDG_CONFIG_HOME, else HOME/.config.
std::optional<std::string> config_home(const EnvironmentLookup& environment);

/// keap-auth's own state folder: $STATE_DIRECTORY under systemd's StateDirectory= (the first, when it
/// lists several), else STATE_HOME/keap-auth; nothing without either.
std::optional<std::string> app_state_folder(const EnvironmentLookup& environment);

/// $XDG_CACHE_HOME, else HOME/.cache.
std::optional<std::string> cache_home(const EnvironmentLookup& environment);

} // namespace keap::util
