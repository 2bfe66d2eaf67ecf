#pragma once

#include <nlohmann/json.hpp>

#include <string>

/// The emulator's addresses, shared with the CLI (the config it prints), the tests and the benchmarks,
/// so no one spells them twice.
namespace keap::emulator {

inline constexpr const char* k_authorize_path = "/app/oauth/authorize";
inline constexpr const char* k_token_path = "/token";
inline constexpr const char* k_userinfo_path = "/crm/rest/v1/oauth/connect/userinfo";
/// The REST API: everything under /crm/rest, as Keap serves it (v1 and v2).
inline constexpr const char* k_rest_prefix = "/crm/rest";
inline constexpr const char* k_rest_pattern = "/crm/rest/.*";

/// A keap-auth config for a client of the emulator at `base_url`.
inline nlohmann::json client_config(const std::string& client_id, const std::string& client_secret,
                                    const std::string& base_url) {
  return {{"client_id", client_id},
          {"client_secret", client_secret},
          {"authorize_url", base_url + k_authorize_path},
          {"token_url", base_url + k_token_path},
          {"userinfo_url", base_url + k_userinfo_path},
          {"api_base_url", base_url + k_rest_prefix}};
}

} // namespace keap::emulator
