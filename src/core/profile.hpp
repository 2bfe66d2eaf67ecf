#pragma once

#include <string>
#include <string_view>

namespace keap {

/// The profile a command acts on when none is named: the one credential keap-auth had before profiles.
inline constexpr const char* k_default_profile = "default";

/// A profile name: 1 to 63 of a-z, 0-9, '.', '_', '-' (it becomes a file name and a database key). Pure.
bool is_profile_name(std::string_view name);

/// Error (exit 2) naming `origin` (the flag, variable or file) and the rule, unless `name` is one.
void check_profile_name(const std::string& name, const std::string& origin);

} // namespace keap
