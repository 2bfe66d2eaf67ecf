#include "emulator/faults.hpp"
#include "emulator/state.hpp"
#include "net/crypto.hpp"
#include "oauth/pkce.hpp"
#include "util/encoding.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace keap;
using namespace keap::util;
using namespace keap::oauth;
using namespace keap::emulator;

namespace {

Settings settings() {
  Settings result;
  result.client_id = "cid";
  result.client_secret = "sec";
  result.enforce_pkce = true;
  return result;
}

std::string basic(const std::string& id, const std::string& secret) { return "Basic " + base64(id + ":" + secret); }

/// Runs authorize + code exchange and returns the token response JSON.
nlohmann::json login(State& state, TimePoint now) {
  auto verifier = net::random_url_safe(32);
  Parameters query{
      {"client_id", "cid"}, {"redirect_uri", "http://localhost:1/cb"},    {"response_type", "code"},
      {"state", "S t&"},    {"code_challenge", pkce_challenge(verifier)}, {"code_challenge_method", "S256"}};
  auto location = state.decide(query, true, now);
  auto back = parse_form(parse_url(location)->query).value();
  REQUIRE(back.at(2) == std::pair<std::string, std::string>{"state", "S t&"});
  auto reply = state.token({"application/x-www-form-urlencoded", "",
                            form_encode({{"grant_type", "authorization_code"},
                                         {"code", back.at(0).second},
                                         {"redirect_uri", "http://localhost:1/cb"},
                                         {"client_id", "cid"},
                                         {"client_secret", "sec"},
                                         {"code_verifier", verifier}})},
                           now);
  REQUIRE(reply.status == 200);
  return nlohmann::json::parse(reply.body);
}

} // namespace

TEST_CASE("emulator::state: Basic credentials parsing", "[emulator]") {
  REQUIRE(parse_basic_authorization(basic("cid", "sec")) == std::pair<std::string, std::string>{"cid", "sec"});
  REQUIRE(parse_basic_authorization(basic("c%20d", "a:b")) == std::pair<std::string, std::string>{"c d", "a:b"});
  REQUIRE_FALSE(parse_basic_authorization("Bearer abc"));
  REQUIRE_FALSE(parse_basic_authorization("Basic"));
  REQUIRE_FALSE(parse_basic_authorization("Basic !!!!"));
  REQUIRE_FALSE(parse_basic_authorization("Basic " + base64("no-colon")));
}

TEST_CASE("emulator::state: codes are single-use and refresh tokens rotate", "[emulator]") {
  State state(settings());
  auto now = now_seconds();
  auto tokens = login(state, now);
  REQUIRE(tokens["scope"] == "full|ab123.infusionsoft.com");
  REQUIRE(tokens["expires_in"] == 86399);
  auto refresh = tokens["refresh_token"].get<std::string>();

  auto form = form_encode({{"grant_type", "refresh_token"}, {"refresh_token", refresh}});
  REQUIRE(state.token({"application/x-www-form-urlencoded", "", form}, now).status == 401); // Basic required
  auto rotated = state.token({"application/x-www-form-urlencoded", basic("cid", "sec"), form}, now);
  REQUIRE(rotated.status == 200);
  REQUIRE_FALSE(state.refresh_token_valid(refresh, now));
  auto again = state.token({"application/x-www-form-urlencoded", basic("cid", "sec"), form}, now);
  REQUIRE(again.status == 400);
  REQUIRE(nlohmann::json::parse(again.body)["error_description"] == "Invalid Refresh Token");
}

TEST_CASE("emulator::state: Keap's rejections", "[emulator]") {
  State state(settings());
  auto now = now_seconds();
  auto json_body = state.token({"application/json", "", R"({"grant_type":"refresh_token"})"}, now);
  REQUIRE(json_body.status == 400);
  REQUIRE(json_body.body.find("response_type or grant_type is required") != std::string::npos);
  REQUIRE(state.authorize_problem({{"client_id", "other"}}));
  REQUIRE(state.userinfo("Bearer nope", now).status == 401);
  REQUIRE(state.userinfo("Bearer nope", now).body.find("Invalid Access Token") != std::string::npos);
  auto tokens = login(state, now);
  REQUIRE(state.userinfo("Bearer " + tokens["access_token"].get<std::string>(), now).status == 200);
  REQUIRE(state.userinfo("Bearer " + tokens["access_token"].get<std::string>(), now + std::chrono::days(2)).status ==
          401);
}

TEST_CASE("emulator::faults: one table names every fault", "[emulator]") {
  REQUIRE(named_faults().size() == 14);
  REQUIRE(named_fault("http-503")->status == 503);
  REQUIRE(named_fault("rate-limit")->retry_after == "2");
  REQUIRE(named_fault("never-ends")->delivery == Delivery::endless);
  REQUIRE_FALSE(named_fault("nosuch"));
  REQUIRE(fault_names().starts_with("http-500, http-502"));
}
