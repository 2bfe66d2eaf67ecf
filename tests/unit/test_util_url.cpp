#include "util/url.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::util;

TEST_CASE("util::url: parses absolute http(s) URLs", "[url]") {
  auto url = *parse_url("HTTP://LocalHost:8765/callback?x=1");
  REQUIRE(url.scheme == "http");
  REQUIRE(url.host == "localhost");
  REQUIRE(url.port == 8765);
  REQUIRE(url.path == "/callback");
  REQUIRE(url.query == "x=1");
  REQUIRE(url.authority() == "localhost:8765");

  auto v6 = *parse_url("http://[::1]:0/cb");
  REQUIRE(v6.host == "::1");
  REQUIRE(v6.port == 0);
  REQUIRE(v6.authority() == "[::1]:0");

  auto plain = *parse_url("https://api.infusionsoft.com");
  REQUIRE(plain.port == 443);
  REQUIRE(plain.path == "/");
  REQUIRE(plain.to_string() == "https://api.infusionsoft.com/");
}

TEST_CASE("util::url: rejects what is not an absolute http(s) URL", "[url]") {
  for (const char* text :
       {"/callback", "localhost:8765/cb", "ftp://host/", "http://user:pw@host/", "http://host/#frag",
        "http://host:99999/", "http://host:/", "http://[::1/", "http:///path", "http://ho st/",
        "https://h/crm/rest/v1/x\r\nInjected: 1", "https://h/a b", "https://h/a\tb", "https://h/a\x7f"}) {
    INFO(text);
    REQUIRE_FALSE(parse_url(text));
  }
}

TEST_CASE("util::url: loopback hosts", "[url]") {
  REQUIRE(is_loopback_host("localhost"));
  REQUIRE(is_loopback_host("127.0.0.1"));
  REQUIRE(is_loopback_host("127.5.6.7"));
  REQUIRE(is_loopback_host("::1"));
  REQUIRE_FALSE(is_loopback_host("127.0.0.1.evil.com"));
  REQUIRE_FALSE(is_loopback_host("api.infusionsoft.com"));
  REQUIRE_FALSE(is_loopback_host("localhost.example"));
}

TEST_CASE("util::url: percent and form encoding round-trip", "[url]") {
  REQUIRE(percent_encode("a b&c=d/é~") == "a%20b%26c%3Dd%2F%C3%A9~");
  REQUIRE(*percent_decode("a+b%20c%7C") == "a b c|");
  REQUIRE_FALSE(percent_decode("%"));
  REQUIRE_FALSE(percent_decode("%4"));
  REQUIRE_FALSE(percent_decode("%zz"));
  Parameters parameters{{"scope", "full|ab123.infusionsoft.com"}, {"empty", ""}, {"sp ace", "x y"}};
  REQUIRE(*parse_form(form_encode(parameters)) == parameters);
  REQUIRE(parse_form("a&&b=")->size() == 2);
}

TEST_CASE("util::url: parameters are found by name", "[url]") {
  Parameters parameters{{"a", "1"}, {"b", ""}, {"a", "2"}};
  REQUIRE(find_parameter(parameters, "a") == "1");
  REQUIRE(find_parameter(parameters, "b") == "");
  REQUIRE_FALSE(find_parameter(parameters, "c"));
  REQUIRE(parse_url("https://h:8443/p?secret=1")->without_query() == "https://h:8443/p");
}
