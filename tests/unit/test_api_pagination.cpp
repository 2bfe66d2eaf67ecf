#include "api/pagination.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::api;
using Json = nlohmann::ordered_json;

namespace {

util::Url url(const std::string& text) { return *util::parse_url(text); }

Json v1_page(int items, int first_id = 0,
             const std::string& next = "https://api.infusionsoft.com/crm/rest/v1/contacts/?limit=2") {
  Json page = {{"contacts", Json::array()}, {"count", 9999}, {"next", next}, {"previous", next}};
  for (int i = 0; i < items; ++i) {
    page["contacts"].push_back({{"id", first_id + i}});
  }
  return page;
}

} // namespace

TEST_CASE("api::pagination: shapes", "[api][pagination]") {
  REQUIRE(page_shape(v1_page(1), "/crm/rest/v1/contacts").style == PageStyle::offset);
  REQUIRE(page_shape(v1_page(1), "/crm/rest/v1/contacts").items == "contacts");
  auto v2 = Json{{"contacts", Json::array()}, {"next_page_token", nullptr}};
  REQUIRE(page_shape(v2, "/crm/rest/v2/contacts").style == PageStyle::token);
  // Two arrays: the one named like the path.
  auto two = Json{{"tags", Json::array()}, {"contacts", Json::array()}, {"count", 0}};
  REQUIRE(page_shape(two, "/v1/tags").items == "tags");
  REQUIRE(page_shape(two, "/v1/other").style == PageStyle::none);
  REQUIRE(page_shape(Json{{"id", 1}}, "/v1/contacts/1").style == PageStyle::none);
  REQUIRE(page_shape(Json::array(), "/v1/contacts").style == PageStyle::none);
  REQUIRE(page_shape(Json{{"contacts", Json::array()}}, "/v1/contacts").style == PageStyle::none);
}

TEST_CASE("api::pagination: v1 keeps every filter, computes offsets, stops on a short page", "[api][pagination]") {
  auto first = with_page_size(url("https://h/crm/rest/v1/contacts?family_name=Hopper&email=x%40y"));
  REQUIRE(first.query == "family_name=Hopper&email=x%40y&limit=1000");
  auto small = url("https://h/crm/rest/v1/contacts?family_name=Hopper&limit=2");
  REQUIRE(with_page_size(small).query == small.query);
  auto v2 = url("https://h/crm/rest/v2/contacts?page_size=2");
  REQUIRE(with_page_size(v2).query == v2.query); // v2 pages by page_size
  Paginator pages(small);
  auto shape = page_shape(v1_page(2), small.path);
  // Keap's `next` drops the filter; the paginator never looks at it.
  auto second = pages.next(v1_page(2), shape);
  REQUIRE(second);
  REQUIRE(second->query == "family_name=Hopper&limit=2&offset=2");
  REQUIRE(pages.next(v1_page(2, 2), shape)->query == "family_name=Hopper&limit=2&offset=4");
  REQUIRE_FALSE(pages.next(v1_page(1, 4), shape)); // short: the end, though `next` is there
  Paginator empty(small);
  REQUIRE_FALSE(empty.next(v1_page(0), shape));
}

TEST_CASE("api::pagination: v1 above the largest page advances by what came", "[api][pagination]") {
  auto big = url("https://h/v1/contacts?limit=5000&offset=10");
  Paginator pages(big);
  auto shape = page_shape(v1_page(1), big.path);
  auto next = pages.next(v1_page(1000), shape); // the server served 1000 of the 5000 asked
  REQUIRE(next);
  REQUIRE(next->query == "limit=5000&offset=1010");
}

TEST_CASE("api::pagination: v2 resends the query with page_token, stops on null, empty or repeated tokens",
          "[api][pagination]") {
  auto first = url("https://h/crm/rest/v2/contacts?filter=given_name%3D%3DAda&page_size=2");
  auto page = [](Json token) {
    return Json{{"contacts", Json::array({Json{{"id", "1"}}})}, {"next_page_token", token}};
  };
  Paginator pages(first);
  auto shape = page_shape(page("t1"), first.path);
  REQUIRE(pages.next(page("t1"), shape)->query == "filter=given_name%3D%3DAda&page_size=2&page_token=t1");
  REQUIRE(pages.next(page("t2"), shape)->query == "filter=given_name%3D%3DAda&page_size=2&page_token=t2");
  REQUIRE_FALSE(pages.next(page("t1"), shape)); // a repeated token would loop forever
  for (auto last : {Json(nullptr), Json(""), Json(7)}) {
    Paginator fresh(first);
    REQUIRE_FALSE(fresh.next(page(last), shape));
  }
  REQUIRE(next_page_token(page("https://h/crm/rest/v2/contacts?page_size=2&page_token=abc")) == "abc");
  REQUIRE_FALSE(next_page_token(page("https://h/crm/rest/v2/contacts?page_size=2")));
}

TEST_CASE("api::pagination: pages merge into one document without paging members", "[api][pagination]") {
  auto shape = PageShape{PageStyle::offset, "contacts"};
  Json merged;
  merge_page(merged, v1_page(2), shape, true);
  merge_page(merged, v1_page(1), shape, false);
  REQUIRE(merged.dump() == R"({"contacts":[{"id":0},{"id":1},{"id":0}]})");
}

TEST_CASE("api::pagination: a server that repeats a full page, or never ends, is stopped with an error",
          "[api][pagination]") {
  auto first = url("https://h/crm/rest/v1/contacts?limit=2");
  auto shape = page_shape(v1_page(2), first.path);
  Paginator ignoring_offset(first);
  REQUIRE(ignoring_offset.next(v1_page(2), shape));
  try {
    ignoring_offset.next(v1_page(2), shape);
    FAIL("a repeated page was followed");
  } catch (const Error& error) {
    REQUIRE(error.code() == ExitCode::unavailable);
    REQUIRE(std::string(error.what()).find("same items as the page before") != std::string::npos);
  }
  Paginator endless(first, 5);
  for (int page = 0; page < 4; ++page) {
    REQUIRE(endless.next(v1_page(2, page * 2), shape));
  }
  REQUIRE_THROWS_WITH(endless.next(v1_page(2, 8), shape), Catch::Contains("goes on past 5 pages"));
}

TEST_CASE("api::pagination: a later page keeps the first page's shape without its paging members",
          "[api][pagination]") {
  auto first = Json{{"contacts", Json::array({Json{{"id", "1"}}})}, {"next_page_token", "t1"}};
  auto shape = page_shape(first, "/crm/rest/v2/contacts");
  auto last = Json{{"contacts", Json::array({Json{{"id", "2"}}})}}; // next_page_token left out
  REQUIRE(page_shape(last, "/crm/rest/v2/contacts").style == PageStyle::none);
  REQUIRE(later_page_shape(last, shape).style == PageStyle::token);
  REQUIRE(later_page_shape(Json{{"other", 1}}, shape).style == PageStyle::none);
  Paginator pages(url("https://h/crm/rest/v2/contacts"));
  REQUIRE(pages.next(first, shape));
  REQUIRE_FALSE(pages.next(last, later_page_shape(last, shape))); // absent token: the listing is complete
}
