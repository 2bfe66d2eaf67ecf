#include "util/duration.hpp"
#include "util/timestamp.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::util;
using namespace std::chrono_literals;

TEST_CASE("util::duration: accepted forms", "[duration]") {
  REQUIRE(parse_duration("90s") == 90s);
  REQUIRE(parse_duration("5m") == 300s);
  REQUIRE(parse_duration("12h") == 43200s);
  REQUIRE(parse_duration("30d") == 2592000s);
  REQUIRE(parse_duration("0s") == 0s);
  REQUIRE(parse_duration("0") == 0s);
  for (const char* bad : {"", "d", "45", "-5m", "5 m", "5mm", "1.5h", "5w", "99999999999999999999d", "40000d"}) {
    INFO(bad);
    REQUIRE_FALSE(parse_duration(bad));
  }
}

TEST_CASE("util::duration: formatting shows the two largest units", "[duration]") {
  REQUIRE(format_duration(0s) == "0s");
  REQUIRE(format_duration(42s) == "42s");
  REQUIRE(format_duration(23h + 12min + 5s) == "23h 12m");
  REQUIRE(format_duration(86400s + 5s) == "1d");
  REQUIRE(format_duration(86400s + 2h) == "1d 2h");
  REQUIRE(format_duration(-(5min + 3s)) == "5m 3s");
  REQUIRE(format_relative(23h + 12min) == "in 23h 12m");
  REQUIRE(format_relative(-(5min + 3s)) == "5m 3s ago");
  REQUIRE(format_relative(0s) == "just now");
}

TEST_CASE("util::timestamp: RFC 3339 both ways", "[time]") {
  auto time = parse_rfc3339("2026-11-27T07:22:50Z");
  REQUIRE(time);
  REQUIRE(format_rfc3339(*time) == "2026-11-27T07:22:50Z");
  REQUIRE(parse_rfc3339("2026-11-27T08:22:50+01:00") == time);
  REQUIRE(parse_rfc3339("2026-11-27t07:22:50.123z") == time);
  for (const char* bad : {"", "2026-11-27", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-27T07:22:50",
                          "2026-11-27T25:00:00Z", "2026-11-27T07:22:50Zjunk", "2026-11-27T07:22:50+1:00"}) {
    INFO(bad);
    REQUIRE_FALSE(parse_rfc3339(bad));
  }
}
