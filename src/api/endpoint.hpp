#pragma once

#include "util/url.hpp"

#include <string>

namespace keap::api {

/// Keap's REST API, where relative endpoints resolve (config api_base_url, KEAP_API_BASE_URL).
inline constexpr const char* k_default_api_base_url = "https://api.infusionsoft.com/crm/rest";

/// The URL to call for what the person typed: `v1/contacts`, `/v1/contacts`, `v2/contacts:merge` (a
/// colon method, sent as it is) under `base`, or an absolute URL, which must be on `base`'s origin:
/// credentials are sent nowhere else. `query` is appended to any query the endpoint has. Throws Error
/// (exit 2) saying what is wrong. Pure.
util::Url resolve_endpoint(const std::string& endpoint, const util::Url& base, const util::Parameters& query);

} // namespace keap::api
