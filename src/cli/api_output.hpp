#pragma once

#include "api/api_client.hpp"
#include "api/pagination.hpp"
#include "cli/commands.hpp"

#include <optional>
#include <string>

/// What `keap-auth api` prints: bodies, headers, envelopes, pages, the remembered rate limits, and the
/// curl command of --dry-run.
namespace keap::cli {

/// The answer on stdout as the options ask (-i, --silent, -o, --envelope; pretty JSON at a terminal,
/// byte for byte otherwise, nothing for an empty body). A failed answer prints only its envelope: its
/// body goes to stderr with the error (see failure_of in api.cpp).
void print_answer(const Context& context, const ApiOptions& options, const api::ApiAnswer& answer, bool success);

/// One page of a --paginate listing: printed item by item (--items), or merged into `merged`. Returns a
/// warning when --max-items stops the listing.
std::optional<std::string> print_page(const ApiOptions& options, nlohmann::ordered_json& page,
                                      const api::PageShape& shape, nlohmann::ordered_json& merged, bool first,
                                      long long& items_printed);

/// The merged listing, at the end (or to -o FILE).
void print_document(const ApiOptions& options, const nlohmann::ordered_json& merged);

/// The suffix of the file beside the credentials that keeps the last rate limits.
inline constexpr const char* k_rate_limit_suffix = ".rate-limits";

/// Keeps the last rate-limit state beside the credentials (0600, no secret) for `status`, and warns once
/// when a window falls under 5% left.
void remember_rate_limits(const Context& context, const api::RateLimits& limits);

/// The remembered state and when it was seen, for `status`.
std::optional<std::pair<api::RateLimits, util::TimePoint>> remembered_rate_limits(const Context& context);

/// The POSIX sh script that makes the same call with curl. The credential comes from `keap-auth token
/// --header` (with the same --config, --credentials and --profile; or $KEAP_API_KEY) and reaches curl,
/// with the body, through its config on stdin, so no secret is printed or put on any command line. A
/// comment line first names `credential_kind` ("an OAuth access token in Authorization: Bearer").
std::string curl_command(const CommandLine& line, const Context& context, const api::ApiRequest& request,
                         const std::string& credential_kind, bool key);

} // namespace keap::cli
