#include "api/rate_limit.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::api;

TEST_CASE("api::rate_limit: Keap's product quota and throttle headers", "[api][rate]") {
  auto limits = parse_rate_limits({{"x-keap-product-quota-limit", "150000"},
                                   {"x-keap-product-quota-time-unit", "day"},
                                   {"x-keap-product-quota-available", "149000"},
                                   {"x-keap-product-quota-used", "1000"},
                                   {"x-keap-product-quota-expiry-time", "1796256000000"},
                                   {"x-keap-product-throttle-limit", "1500"},
                                   {"x-keap-product-throttle-available", "30"},
                                   {"x-keap-product-throttle-time-unit", "minute"}});
  REQUIRE(limits.windows.size() == 2);
  const auto& quota = limits.windows[0];
  REQUIRE(quota.name == "quota");
  REQUIRE(quota.limit == 150000);
  REQUIRE(quota.available == 149000);
  REQUIRE(util::format_rfc3339(*quota.resets_at) == "2026-12-03T00:00:00Z"); // milliseconds
  REQUIRE(limits.tightest()->name == "throttle");
  REQUIRE(*limits.tightest()->fraction_left() == Approx(0.02));
  REQUIRE(describe_rate_limits(limits) ==
          "quota 149000 of 150000 left (day, resets at 2026-12-03T00:00:00Z); throttle 30 of 1500 left (minute)");
  // Seconds work too.
  auto seconds =
      parse_rate_limits({{"x-keap-product-quota-limit", "10"}, {"x-keap-product-quota-expiry-time", "1796256000"}});
  REQUIRE(util::format_rfc3339(*seconds.windows[0].resets_at) == "2026-12-03T00:00:00Z");
}

TEST_CASE("api::rate_limit: pipe lists make a window per entry, garbage is left out", "[api][rate]") {
  auto limits = parse_rate_limits({{"x-keap-tenant-throttle-limit", "10000|250000"},
                                   {"x-keap-tenant-throttle-time-unit", "minute|day"},
                                   {"x-keap-tenant-throttle-used", "5|7"}});
  REQUIRE(limits.windows.size() == 2);
  REQUIRE(limits.windows[0].name == "tenant minute");
  REQUIRE(limits.windows[1].name == "tenant day");
  REQUIRE(*limits.windows[1].fraction_left() == Approx(249993.0 / 250000));
  auto broken = parse_rate_limits({{"x-keap-product-quota-limit", "lots"},
                                   {"x-keap-product-quota-available", "-4"},
                                   {"x-keap-product-quota-expiry-time", "99999999999999999999"},
                                   {"x-keap-product-throttle-limit", ""}});
  REQUIRE(broken.empty());
  REQUIRE(parse_rate_limits({}).empty());
  REQUIRE(parse_rate_limits({{"x-keap-product-quota-limit", "5"}}).tightest() == nullptr); // nothing says what is left
}

TEST_CASE("api::rate_limit: the remembered state reads back", "[api][rate]") {
  auto limits = parse_rate_limits({{"x-keap-product-quota-limit", "100"},
                                   {"x-keap-product-quota-available", "3"},
                                   {"x-keap-product-quota-expiry-time", "1796256000"}});
  auto json = nlohmann::json::parse(rate_limits_json(limits).dump());
  auto back = rate_limits_from_json(json);
  REQUIRE(back);
  REQUIRE(describe_rate_limits(*back) == describe_rate_limits(limits));
  REQUIRE_FALSE(rate_limits_from_json(nlohmann::json::parse(R"({"windows":1})")));
}
