#pragma once

#include "core/credential.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

/// The one shape a token is handed out in, by `keap-auth token --json` and the agent's `/v1/token`, so a
/// script can cache it until its refresh_at whichever it asked.
namespace keap {

/// When a grant's access token is best refreshed: `fraction` of its own life after it was obtained.
TimePoint refresh_time(const OAuthGrant& grant, double fraction = 0.5);

/// {"schema":1, "profile", "kind", "token", "header", "expires_at", "refresh_at", "app"}: the secret
/// and the header line that carries it (times are null for a key, which does not expire).
nlohmann::ordered_json token_answer(const std::string& profile, const Credential& credential,
                                    std::optional<TimePoint> refresh_at);

} // namespace keap
