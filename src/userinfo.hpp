#pragma once

#include "http_client.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace keap {

/// GET userinfo with `Authorization: Bearer`. Returns the user object on 200; nothing on 401 (Keap's
/// "Invalid Access Token": the caller may refresh once and retry); throws a classified Error
/// otherwise (5xx/429/network → exit 5, other statuses or a malformed body → exit 1 or 5).
std::optional<nlohmann::json> fetch_userinfo(const Url& url, const std::string& access_token, const HttpOptions& http);

} // namespace keap
