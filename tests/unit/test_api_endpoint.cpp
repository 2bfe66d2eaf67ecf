#include "api/endpoint.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::api;

namespace {
const util::Url k_base = *util::parse_url("https://api.infusionsoft.com/crm/rest");
}

TEST_CASE("api::endpoint: relative endpoints resolve under api_base_url", "[api][endpoint]") {
  auto to_text = [](const std::string& endpoint, util::Parameters query = {}) {
    return resolve_endpoint(endpoint, k_base, query).to_string();
  };
  REQUIRE(to_text("v1/contacts") == "https://api.infusionsoft.com/crm/rest/v1/contacts");
  REQUIRE(to_text("/v1/contacts") == "https://api.infusionsoft.com/crm/rest/v1/contacts");
  REQUIRE(to_text("v2/contacts:merge") == "https://api.infusionsoft.com/crm/rest/v2/contacts:merge");
  REQUIRE(to_text("v1/contacts?limit=5", {{"email", "a@b.c"}}) ==
          "https://api.infusionsoft.com/crm/rest/v1/contacts?limit=5&email=a%40b.c");
  auto slashed = *util::parse_url("http://127.0.0.1:9876/crm/rest/");
  REQUIRE(resolve_endpoint("v1/x", slashed, {}).to_string() == "http://127.0.0.1:9876/crm/rest/v1/x");
}

TEST_CASE("api::endpoint: credentials go only to the configured API host", "[api][endpoint]") {
  REQUIRE(resolve_endpoint("https://api.infusionsoft.com/crm/rest/v1/contacts?limit=1", k_base, {}).query == "limit=1");
  for (const char* elsewhere : {"https://evil.example.com/crm/rest/v1/contacts", "http://api.infusionsoft.com/v1/x",
                                "https://api.infusionsoft.com:8443/v1/x", "https://api.infusionsoft.com.evil.com/v1"}) {
    INFO(elsewhere);
    REQUIRE_THROWS_WITH(resolve_endpoint(elsewhere, k_base, {}), Catch::Contains("not on the configured API host"));
  }
  for (const char* bad : {"", "v1/contacts#x", "v1/con tacts", "ftp://api.infusionsoft.com/x", "v1/\xff"}) {
    INFO(bad);
    REQUIRE_THROWS_AS(resolve_endpoint(bad, k_base, {}), Error);
  }
}
