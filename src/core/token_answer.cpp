#include "core/token_answer.hpp"

#include "util/timestamp.hpp"

namespace keap {

TimePoint refresh_time(const OAuthGrant& grant, double fraction) {
  auto life = grant.expires_at - grant.obtained_at;
  auto seconds = static_cast<long long>(static_cast<double>(life.count()) * fraction);
  return grant.obtained_at + std::chrono::seconds(seconds > 0 ? seconds : 0);
}

nlohmann::ordered_json token_answer(const std::string& profile, const Credential& credential,
                                    std::optional<TimePoint> refresh_at) {
  using Json = nlohmann::ordered_json;
  const auto* grant = std::get_if<OAuthGrant>(&credential);
  auto [name, value] = credential_header(credential);
  return {{"schema", 1},
          {"profile", profile},
          {"kind", grant ? "oauth_grant" : "api_key"},
          {"token", grant ? grant->access_token : std::get<ApiKey>(credential).key},
          {"header", name + ": " + value},
          {"expires_at", grant ? Json(util::format_rfc3339(grant->expires_at)) : Json(nullptr)},
          {"refresh_at", grant ? Json(util::format_rfc3339(refresh_at.value_or(refresh_time(*grant)))) : Json(nullptr)},
          {"app", grant && grant->app ? Json(*grant->app) : Json(nullptr)}};
}

} // namespace keap
