#pragma once

namespace keap {

/// The project's version (plus `git describe` when built from a checkout), from cmake/version.cpp.in.
const char* version();

/// The environment variable through which the light program tells the full one which version it is,
/// so a stale full program left by another installation refuses to run with the wrong parser.
inline constexpr const char* k_expected_version_variable = "KEAP_AUTH_EXPECTED_VERSION";

} // namespace keap
