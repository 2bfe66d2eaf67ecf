#include "util/encoding.hpp"

#include <catch2/catch.hpp>

using namespace keap::util;

TEST_CASE("util::encoding: base64url has no padding", "[encoding]") {
  REQUIRE(base64url("") == "");
  REQUIRE(base64url("f") == "Zg");
  REQUIRE(base64url("fo") == "Zm8");
  REQUIRE(base64url("foo") == "Zm9v");
  REQUIRE(base64url("\xfb\xff") == "-_8");
}

TEST_CASE("util::encoding: base64 (RFC 4648 section 10) both ways", "[encoding]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    REQUIRE(base64(plain) == encoded);
    REQUIRE(base64_decode(encoded) == plain);
  }
  REQUIRE(base64("\xfb\xff") == "+/8=");
  REQUIRE_FALSE(base64_decode("Zm9"));
  REQUIRE_FALSE(base64_decode("Zm9v!A=="));
  REQUIRE_FALSE(base64_decode("Z=9v"));
}

TEST_CASE("util::encoding: hex with and without a separator", "[encoding]") {
  REQUIRE(hex("\x01\xab\xff") == "01ABFF");
  REQUIRE(hex("\x01\xab\xff", ':') == "01:AB:FF");
  REQUIRE(hex_decode("01abFF") == std::string("\x01\xab\xff"));
  REQUIRE(hex_decode("") == std::string());
  REQUIRE_FALSE(hex_decode("0"));
  REQUIRE_FALSE(hex_decode("0g"));
  REQUIRE(hex("") == "");
}
