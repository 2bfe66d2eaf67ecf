#pragma once

namespace keap {

/// The project's version (plus `git describe` when built from a checkout), from cmake/version.cpp.in.
const char* version();

} // namespace keap
