#pragma once

#include "agent/settings.hpp"
#include "core/credential.hpp"

#include <optional>
#include <string>

/// Token files for services that read a file: replaced whole, so a reader sees the old token or the new
/// one, never a part of either and never no file.
namespace keap::agent {

/// What a sink file holds for `credential` in `format` (token, header, json, env).
std::string sink_content(const Sink& sink, const Credential& credential, std::optional<TimePoint> refresh_at);

/// Writes `content` to the sink's path: a temporary file in the same folder, created with the sink's mode
/// (and group) before anything is written to it, written, fsynced, renamed over the target, and the
/// folder fsynced. Error (exit 1) naming the path and what failed; the old file stays as it was.
void write_sink(const Sink& sink, const std::string& content);

} // namespace keap::agent
