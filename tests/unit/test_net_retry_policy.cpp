#include "net/retry_policy.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::net;
using namespace std::chrono_literals;

TEST_CASE("net::retry_policy: Retry-After in seconds, in every HTTP-date form, and garbage", "[retry]") {
  auto now = *util::parse_rfc3339("1994-11-06T08:49:00Z");
  REQUIRE(parse_retry_after("120", now) == 120s);
  REQUIRE(parse_retry_after(" 0 ", now) == 0s);
  REQUIRE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == 37s);
  REQUIRE(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == 37s);
  REQUIRE(parse_retry_after("Sun Nov  6 08:49:37 1994", now) == 37s);
  REQUIRE(parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now) == 0s); // in the past: now
  REQUIRE(parse_retry_after("99999999999999999999999", now) == std::chrono::seconds(366LL * 86400));
  for (const char* garbage : {"", "soon", "-5", "1.5", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                              "Sun, 06 Nov 1994 08:49:37 PST", "06 Nov 1994"}) {
    INFO(garbage);
    REQUIRE_FALSE(parse_retry_after(garbage, now));
  }
}
