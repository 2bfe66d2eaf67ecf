#include "api/upload.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::api;
using Json = nlohmann::ordered_json;

TEST_CASE("api::upload: v1/files gets the documented JSON with every required field", "[api][upload]") {
  auto body = upload_body("/crm/rest/v1/files", "test.txt", "hello", Json{{"contact_id", "51677"}}, "B");
  REQUIRE(body.content_type == "application/json");
  auto json = Json::parse(body.content);
  REQUIRE(json["contact_id"] == 51677); // a number, as Keap's schema says
  REQUIRE(json["file_name"] == "test.txt");
  REQUIRE(json["file_data"] == "aGVsbG8=");
  REQUIRE(json["is_public"] == false);
  REQUIRE(json["file_association"] == "CONTACT");
  auto user = Json::parse(upload_body("/v1/files", "a.pdf", "", Json::object(), "B").content);
  REQUIRE(user["file_association"] == "USER");
  REQUIRE_FALSE(user.contains("contact_id"));
  auto named = Json::parse(
      upload_body("/v1/files", "a.pdf", "x", Json{{"file_name", "b.pdf"}, {"is_public", true}}, "B").content);
  REQUIRE(named["file_name"] == "b.pdf");
  REQUIRE(named["is_public"] == true);
}

TEST_CASE("api::upload: missing or mistyped fields are exit 2 before sending", "[api][upload]") {
  auto code_of = [](Json fields, const std::string& path = "/v1/files") {
    try {
      upload_body(path, "a.txt", "x", fields, "B");
    } catch (const Error& error) {
      return static_cast<int>(error.code());
    }
    return 0;
  };
  REQUIRE(code_of(Json{{"contact_id", "Ada"}}) == 2);
  REQUIRE(code_of(Json{{"file_association", "CONTACT"}}) == 2);
  REQUIRE(code_of(Json{{"file_association", "GROUP"}}) == 2);
  REQUIRE(code_of(Json{{"is_public", "yes"}}) == 2);
  REQUIRE(code_of(Json::object(), "/v1/contacts") == 2);
  REQUIRE(code_of(Json::object()) == 0);
}

TEST_CASE("api::upload: v2/files is multipart with the file and text parts", "[api][upload]") {
  auto body = upload_body("/crm/rest/v2/files", "we\"ird.txt", "bytes\r\n", Json{{"contact_id", 5}}, "XyZ");
  REQUIRE(body.content_type == "multipart/form-data; boundary=XyZ");
  REQUIRE(
      body.content.starts_with("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"we_ird.txt\"\r\n"));
  REQUIRE(body.content.find("\r\n\r\nbytes\r\n\r\n--XyZ") != std::string::npos);
  REQUIRE(body.content.find("name=\"file_association\"\r\n\r\nCONTACT\r\n") != std::string::npos);
  REQUIRE(body.content.find("name=\"contact_id\"\r\n\r\n5\r\n") != std::string::npos);
  REQUIRE(body.content.find("name=\"is_public\"\r\n\r\nfalse\r\n") != std::string::npos);
  REQUIRE(body.content.ends_with("--XyZ--\r\n"));
}
