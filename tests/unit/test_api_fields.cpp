#include "api/fields.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::api;
using Json = nlohmann::ordered_json;

namespace {

Field raw(std::string text) { return {Field::Kind::string, std::move(text)}; }
Field typed(std::string text) { return {Field::Kind::typed, std::move(text)}; }

std::string body_of(const std::vector<Field>& fields) {
  return build_body(fields, [](const std::string& path) { return "text of " + path; }).dump();
}

int exit_code_of(const std::vector<Field>& fields) {
  try {
    body_of(fields);
  } catch (const Error& error) {
    return static_cast<int>(error.code());
  }
  return 0;
}

} // namespace

TEST_CASE("api::fields: -f is always a string, -F types what looks typed", "[api][fields]") {
  REQUIRE(body_of({raw("n=5"), raw("b=true"), raw("z=null")}) == R"({"n":"5","b":"true","z":"null"})");
  REQUIRE(body_of({typed("n=5"), typed("b=true"), typed("f=false"), typed("z=null"), typed("x=-1.5e3")}) ==
          R"({"n":5,"b":true,"f":false,"z":null,"x":-1500.0})");
  // A postcode, a huge id and ordinary words stay text.
  REQUIRE(body_of({typed("zip=007"), typed("id=123456789012345678901234567890"), typed("w=True")}) ==
          R"({"zip":"007","id":"123456789012345678901234567890","w":"True"})");
  REQUIRE(body_of({typed("note=@notes.txt")}) == R"({"note":"text of notes.txt"})");
  REQUIRE(body_of({raw("note=@notes.txt")}) == R"({"note":"@notes.txt"})");
  REQUIRE(body_of({typed("tags:=[1,2]"), typed(R"(o:={"b":1,"a":2})")}) == R"({"tags":[1,2],"o":{"b":1,"a":2}})");
  REQUIRE(body_of({raw("empty=")}) == R"({"empty":""})");
}

TEST_CASE("api::fields: brackets nest objects and arrays", "[api][fields]") {
  REQUIRE(body_of({raw("a[b]=x"), raw("a[c]=y")}) == R"({"a":{"b":"x","c":"y"}})");
  REQUIRE(body_of({raw("t[]=1"), raw("t[]=2")}) == R"({"t":["1","2"]})");
  // a[][b] fills the last object until a key repeats, then starts the next one.
  REQUIRE(body_of({raw("e[][email]=a@x"), raw("e[][field]=EMAIL1"), raw("e[][email]=b@x")}) ==
          R"({"e":[{"email":"a@x","field":"EMAIL1"},{"email":"b@x"}]})");
  REQUIRE(body_of({typed("a[b][c]=1")}) == R"({"a":{"b":{"c":1}}})");
}

TEST_CASE("api::fields: bad fields are exit 2 before anything is sent", "[api][fields]") {
  for (const char* text : {"noequals", "=v", "a[=v", "a]b=v", "a[b=v", "a[b]c=v", "a[[b]]=v"}) {
    INFO(text);
    REQUIRE(exit_code_of({raw(text)}) == 2);
  }
  REQUIRE(exit_code_of({raw("a=1"), raw("a=2")}) == 2);      // given twice
  REQUIRE(exit_code_of({raw("a=1"), raw("a[b]=2")}) == 2);   // a string and an object
  REQUIRE(exit_code_of({raw("a[]=1"), raw("a[b]=2")}) == 2); // an array and an object
  REQUIRE(exit_code_of({typed("a:=[1,")}) == 2);             // JSON that does not parse
  REQUIRE(exit_code_of({raw("name=Ad\xff")}) == 2);          // not UTF-8
  REQUIRE(exit_code_of({typed("k\xc3=v")}) == 2);            // a key that is not UTF-8
  REQUIRE_THROWS_WITH(body_of({typed("name=caf\xe9")}), Catch::Contains("byte 9") && Catch::Contains("-F"));
  REQUIRE_THROWS_WITH(
      build_body({typed("note=@latin1.txt")}, [](const std::string&) { return std::string("caf\xe9"); }),
      Catch::Contains("not valid UTF-8"));
}

TEST_CASE("api::fields: query parameters and headers", "[api][fields]") {
  REQUIRE(parse_query_field("limit=5") == std::pair<std::string, std::string>{"limit", "5"});
  REQUIRE(parse_query_field("q=a=b") == std::pair<std::string, std::string>{"q", "a=b"});
  REQUIRE_THROWS_AS(parse_query_field("limit"), Error);
  REQUIRE_THROWS_AS(parse_query_field("=5"), Error);
  REQUIRE_THROWS_AS(parse_query_field("q=\xff"), Error);
  REQUIRE(parse_header_field("X-Request-Id:  42") == std::pair<std::string, std::string>{"X-Request-Id", "42"});
  for (const char* bad : {"NoColon", ": v", "Bad Name: v", "X: a\r\nInjected: 1"}) {
    INFO(bad);
    REQUIRE_THROWS_AS(parse_header_field(bad), Error);
  }
}
