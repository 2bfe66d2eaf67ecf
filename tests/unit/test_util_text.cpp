#include "util/text.hpp"

#include <catch2/catch.hpp>

using namespace keap::util;
using Words = std::vector<std::string>;

TEST_CASE("util::text: printable excerpts drop control characters and are bounded", "[text]") {
  REQUIRE(printable_excerpt("a\x1b[31mb\nc\td") == "a[31mb c d");
  REQUIRE(printable_excerpt(std::string(1000, 'x')).size() == 300);
  REQUIRE(printable_excerpt("abcdef", 3) == "abc");
}

TEST_CASE("util::text: the nearest word, for 'did you mean'", "[text]") {
  Words commands{"login", "refresh", "token", "status", "whoami", "emulator"};
  REQUIRE(nearest("logn", commands) == "login");
  REQUIRE(nearest("refesh", commands) == "refresh");
  REQUIRE(nearest("stat", commands) == "status");
  REQUIRE_FALSE(nearest("xyzzyplugh", commands));
  REQUIRE(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("util::text: UTF-8 validity follows RFC 3629", "[text][utf8]") {
  REQUIRE_FALSE(invalid_utf8_offset("plain ascii"));
  REQUIRE_FALSE(invalid_utf8_offset("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"));
  REQUIRE(invalid_utf8_offset("ab\xff") == 2u);
  REQUIRE(invalid_utf8_offset("\xc0\xaf") == 0u);         // overlong '/'
  REQUIRE(invalid_utf8_offset("x\xed\xa0\x80") == 1u);    // a surrogate
  REQUIRE(invalid_utf8_offset("\xf4\x90\x80\x80") == 0u); // above U+10FFFF
  REQUIRE(invalid_utf8_offset("ok\xe2\x82") == 2u);       // cut short
}

TEST_CASE("util::text: words split like a shell, without expansion", "[text]") {
  REQUIRE(split_words("a  b\tc") == Words{"a", "b", "c"});
  REQUIRE(split_words("'/opt/My Browser/bin' \"--flag=a b\"") == Words{"/opt/My Browser/bin", "--flag=a b"});
  REQUIRE(split_words("$(id) ~ *") == Words{"$(id)", "~", "*"});
  REQUIRE(split_words("").empty());
}
