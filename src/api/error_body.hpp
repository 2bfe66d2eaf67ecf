#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keap::api {

/// Keap's own words in an error answer, whichever layer wrote it (design/api.md section 8): the
/// gateway's fault.faultstring, v2's message (its code may be a number or a string), v1's message, an
/// OAuth error_description, or an HTML page's <title>. Made safe for one terminal line; nothing when
/// the body says nothing usable. Pure.
std::optional<std::string> error_message(std::string_view body);

/// The gateway's error code (fault.detail.errorcode), e.g. "policies.ratelimit.QuotaViolation".
std::optional<std::string> fault_code(std::string_view body);

} // namespace keap::api
