#pragma once

#include "emulator/rest_api.hpp"
#include "util/json.hpp"
#include "util/url.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <string>

/// The answer shapes of Keap's layers (design/api.md section 8), for the emulator's REST API.
namespace keap::emulator::replies {

using Json = nlohmann::ordered_json;

/// Where Keap's absolute links (v1's next and previous) point, whatever host the emulator is on.
inline constexpr const char* k_public_base = "https://api.infusionsoft.com/crm/rest";
inline constexpr long long k_largest_page = 1000;

inline ApiReply json(int status, const Json& body) {
  return {status, util::dump_json(body), "application/json;charset=UTF-8", {}};
}

/// v1's error body: {"message": ...}.
inline ApiReply v1_error(int status, const std::string& message) { return json(status, {{"message", message}}); }

/// v2's error body: {code, message, status, details}.
inline ApiReply v2_error(int status, const std::string& reason, const std::string& message) {
  return json(status, {{"code", status}, {"message", message}, {"status", reason}, {"details", Json::array()}});
}

/// The gateway's fault body.
inline ApiReply gateway_fault(int status, const std::string& text, const std::string& code) {
  return json(status, {{"fault", {{"faultstring", text}, {"detail", {{"errorcode", code}}}}}});
}

inline ApiReply unauthorized() {
  return gateway_fault(401, "Invalid Access Token", "keymanagement.service.invalid_access_token");
}

inline std::string parameter(const util::Parameters& query, std::string_view name) {
  return util::find_parameter(query, name).value_or("");
}

/// A non-negative decimal, or `fallback`.
inline long long number_or(const std::string& text, long long fallback) {
  long long value = fallback;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return text.empty() || error != std::errc{} || end != text.data() + text.size() || value < 0 ? fallback : value;
}

} // namespace keap::emulator::replies
