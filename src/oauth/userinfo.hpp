#pragma once

#include "core/credential.hpp"
#include "net/http_client.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace keap::oauth {

/// GET userinfo with the credential in its header. Returns the user object on 200; nothing on 401
/// (Keap's "Invalid Access Token": for a grant, the caller may refresh once and retry); throws a classified Error
/// otherwise (5xx/429/network → exit 5, other statuses → exit 1, a 200 that is not a JSON object → exit 5).
std::optional<nlohmann::json> fetch_userinfo(net::HttpClient& http, const util::Url& url, const Credential& credential);

} // namespace keap::oauth
