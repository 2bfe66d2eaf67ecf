#include "targets.hpp"

#include "core/config.hpp"
#include "core/credential.hpp"
#include "core/error.hpp"
#include "emulator/state.hpp"
#include "net/http_client.hpp"
#include "net/retry_policy.hpp"
#include "oauth/callback.hpp"
#include "oauth/pending_login.hpp"
#include "oauth/token_client.hpp"
#include "util/duration.hpp"
#include "util/text.hpp"
#include "util/timestamp.hpp"
#include "util/url.hpp"

#include <cstdlib>

namespace keap::fuzz {

namespace {

using namespace keap::oauth;
using namespace keap::util;

/// A broken invariant: crash, so libFuzzer keeps the input.
void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void callback(std::string_view input) {
  auto callback = parse_callback(input);
  if (!callback.problem && callback.code) {
    require(input.find("code") != std::string_view::npos);
  }
  auto answer = parse_pasted_answer(input);
  require(answer.problem.has_value() + answer.callback.has_value() + answer.code.has_value() == 1);
}

void url(std::string_view input) {
  auto parsed = parse_url(input);
  if (parsed) {
    auto again = parse_url(parsed->to_string());
    require(again && again->to_string() == parsed->to_string() && again->host == parsed->host &&
            again->port == parsed->port);
    (void)is_loopback_host(parsed->host);
  }
  if (auto decoded = percent_decode(input)) {
    require(*percent_decode(percent_encode(*decoded)) == *decoded);
  }
}

void token_response(std::string_view input) {
  static constexpr int k_statuses[] = {200, 201, 400, 401, 403, 429, 500, 503};
  int status = input.empty() ? 200 : k_statuses[static_cast<unsigned char>(input[0]) % 8];
  net::HttpResponse response{
      status, std::string(input.empty() ? input : input.substr(1)), {{"content-type", "application/json"}}};
  for (auto grant : {Grant::authorization_code, Grant::refresh_token}) {
    try {
      auto token = interpret_token_response(response, "https://fuzz/token", grant);
      require(!token.access_token.empty() && !token.refresh_token.empty() && token.expires_in > 0);
    } catch (const Error&) {
    }
  }
}

void credentials(std::string_view input) {
  try {
    auto parsed = parse_credential(input, "fuzz.json");
    auto again = parse_credential(serialize_credential(parsed), "fuzz.json");
    if (const auto* grant = std::get_if<OAuthGrant>(&parsed)) {
      const auto& reread = std::get<OAuthGrant>(again);
      require(reread.refresh_token == grant->refresh_token && reread.expires_at == grant->expires_at &&
              reread.token_auth == grant->token_auth);
    } else {
      require(std::get<ApiKey>(again).key == std::get<ApiKey>(parsed).key);
    }
  } catch (const Error&) {
  }
}

void config(std::string_view input) {
  Config config;
  try {
    apply_config_text(config, std::string(input), "fuzz.json");
    validate_config(config);
  } catch (const Error&) {
  }
}

void durations(std::string_view input) {
  if (auto duration = parse_duration(input)) {
    require(duration->count() >= 0);
    (void)format_duration(*duration);
  }
  if (auto time = parse_rfc3339(input)) {
    require(parse_rfc3339(format_rfc3339(*time)) == time);
  }
}

void pending(std::string_view input) {
  try {
    auto parsed = parse_pending(input, "fuzz.pending");
    require(parse_pending(serialize_pending(parsed), "fuzz.pending").state == parsed.state);
  } catch (const Error&) {
  }
}

void emulator_requests(std::string_view input) {
  if (auto form = parse_form(input)) {
    require(*parse_form(form_encode(*form)) == *form);
  }
  (void)emulator::parse_basic_authorization(input);
  (void)emulator::parse_basic_authorization("Basic " + std::string(input));
  static emulator::State state([] {
    emulator::Settings settings;
    settings.client_id = "fuzz";
    settings.client_secret = "fuzz-secret";
    return settings;
  }());
  auto reply =
      state.token({"application/x-www-form-urlencoded", std::string(input), std::string(input)}, util::TimePoint{});
  require(reply.status >= 200 && reply.status < 600);
}

/// Retry-After: seconds, HTTP-dates in three forms, garbage; never negative, never throws.
void retry_after(std::string_view input) {
  auto now = util::TimePoint{std::chrono::seconds{1'800'000'000}};
  if (auto wait = net::parse_retry_after(input, now)) {
    require(wait->count() >= 0);
  }
  (void)util::invalid_utf8_offset(input);
}

} // namespace

const std::vector<Target>& targets() {
  static const std::vector<Target> k_targets{
      {"callback", callback},
      {"url", url},
      {"token_response", token_response},
      {"credentials", credentials},
      {"config", config},
      {"durations", durations},
      {"pending", pending},
      {"emulator_requests", emulator_requests},
      {"retry_after", retry_after},
  };
  return k_targets;
}

} // namespace keap::fuzz
