// The emulator's REST API, called directly: what it plays of Keap (design/api.md section 11) is what
// the integration tests prove keap-auth against, so it must be right on its own.
#include "emulator/faults.hpp"
#include "emulator/rest_api.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace keap;
using namespace keap::emulator;
using namespace std::chrono_literals;

namespace {

Settings oauth_settings() {
  Settings settings;
  settings.client_id = "cid";
  settings.client_secret = "sec";
  return settings;
}

const TimePoint k_now{std::chrono::seconds{1'796'200'000}}; // 2026-12-02T...Z

struct Api {
  explicit Api(RestSettings settings = {}) : oauth(oauth_settings()), rest(oauth, settings) {}

  ApiReply call(const std::string& method, const std::string& target, const std::string& body = {},
                std::vector<std::pair<std::string, std::string>> headers = {}, TimePoint now = k_now) {
    ApiCall request;
    request.method = method;
    auto question = target.find('?');
    request.path = target.substr(0, question);
    request.query = question == std::string::npos ? "" : target.substr(question + 1);
    request.headers =
        headers.empty()
            ? std::vector<std::pair<std::string, std::string>>{{"X-Keap-API-Key", rest.personal_access_token()}}
            : headers;
    if (!body.empty() || method == "POST") {
      request.headers.emplace_back("Content-Length", std::to_string(body.size()));
      request.headers.emplace_back("Content-Type", "application/json");
    }
    request.body = body;
    return rest.handle(request, now);
  }

  State oauth;
  RestApi rest;
};

std::string header(const ApiReply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

nlohmann::json body(const ApiReply& reply) { return nlohmann::json::parse(reply.body); }

} // namespace

TEST_CASE("emulator::rest_api: keys in X-Keap-API-Key, and a key as Bearer or anything else is Keap's 401",
          "[emulator][rest]") {
  Api api;
  REQUIRE(api.call("GET", "/v1/contacts").status == 200);
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"Authorization", "Bearer " + api.rest.service_account_key()}},
           {{"Authorization", "Bearer " + api.rest.personal_access_token()}},
           {{"X-Keap-API-Key", "KeapAK-wrong"}},
           {{"Authorization", "Bearer nope"}},
           {{"Accept", "*/*"}}}) {
    auto reply = api.call("GET", "/v1/contacts", {}, headers);
    REQUIRE(reply.status == 401);
    REQUIRE(body(reply)["fault"]["faultstring"] == "Invalid Access Token");
  }
  auto requests = api.rest.requests();
  REQUIRE(requests[0].credential == "pat");
  REQUIRE(requests[1].credential.empty());
  REQUIRE(requests[1].credential_header == "Authorization");
  REQUIRE(requests[3].credential.empty());
}

TEST_CASE("emulator::rest_api: the keys-as-bearer switch plays the undocumented Bearer key that SDKs use",
          "[emulator][rest]") {
  RestSettings settings;
  REQUIRE(apply_api_switch(settings, "keys-as-bearer"));
  Api api(settings);
  REQUIRE(api.call("GET", "/v1/contacts", {}, {{"Authorization", "Bearer " + api.rest.service_account_key()}}).status ==
          200);
  REQUIRE(api.rest.requests()[0].credential == "sak");
}

TEST_CASE("emulator::rest_api: v1 lists page by limit and offset with a next that drops filters", "[emulator][rest]") {
  RestSettings settings;
  settings.contacts = 12;
  Api api(settings);
  auto page = body(api.call("GET", "/v1/contacts?family_name=Hopper&limit=2&offset=0"));
  REQUIRE(page["count"] == 3); // ids 1, 6, 11
  REQUIRE(page["contacts"].size() == 2);
  REQUIRE(page["next"] == "https://api.infusionsoft.com/crm/rest/v1/contacts/?limit=2&offset=2"); // no filter
  auto last = body(api.call("GET", "/v1/contacts?family_name=Hopper&limit=2&offset=2"));
  REQUIRE(last["contacts"].size() == 1);
  REQUIRE(last.contains("next")); // present even on the last page
  auto capped = body(api.call("GET", "/v1/contacts?limit=5000"));
  REQUIRE(capped["contacts"].size() == 12);
}

TEST_CASE("emulator::rest_api: v2 lists page by token, the last token empty", "[emulator][rest]") {
  RestSettings settings;
  settings.contacts = 5;
  Api api(settings);
  auto first = body(api.call("GET", "/v2/contacts?page_size=2"));
  REQUIRE(first["next_page_token"] == "p2");
  REQUIRE(first["contacts"][0]["id"] == "1"); // v2 ids are strings
  REQUIRE(body(api.call("GET", "/v2/contacts?page_size=2&page_token=p4"))["next_page_token"] == "");
  REQUIRE(api.call("GET", "/v2/contacts?page_size=1001").status == 400);
  auto filtered = body(api.call("GET", "/v2/contacts?filter=given_name%3D%3DGiven3"));
  REQUIRE(filtered["contacts"].size() == 1);
  api.rest.settings().next_page_token_as_url = true;
  REQUIRE(
      body(api.call("GET", "/v2/contacts?page_size=2"))["next_page_token"].get<std::string>().starts_with("https://"));
}

TEST_CASE("emulator::rest_api: bodies without a length, chunked, not UTF-8, or on a GET get the HTML 400",
          "[emulator][rest]") {
  Api api;
  auto key = api.rest.personal_access_token();
  auto post = [&](const std::string& body_text, bool length, bool chunked) {
    ApiCall request{"POST",    "/v1/contacts", "", {{"X-Keap-API-Key", key}, {"Content-Type", "application/json"}},
                    body_text, chunked,        std::nullopt, {}};
    if (length) {
      request.headers.emplace_back("Content-Length", std::to_string(body_text.size()));
    }
    return api.rest.handle(request, k_now);
  };
  std::string contact = R"({"email_addresses":[{"email":"a@b.c"}]})";
  REQUIRE(post(contact, true, false).status == 201);
  for (auto reply :
       {post(contact, false, false), post(contact, false, true), post("{\"given_name\":\"Jos\xe9\"}", true, false)}) {
    REQUIRE(reply.status == 400);
    REQUIRE(reply.content_type.starts_with("text/html"));
  }
  REQUIRE(api.call("GET", "/v1/contacts", "{}").status == 400);
  api.rest.settings().strict_framing = false; // --api-switch lenient-framing
  REQUIRE(post(contact, false, true).status == 201);
  REQUIRE(api.call("GET", "/v1/contacts", "{}").status == 400); // the front end's rule, not Keap's
}

TEST_CASE("emulator::rest_api: error bodies per layer and files' required fields", "[emulator][rest]") {
  Api api;
  REQUIRE(api.call("GET", "/v1/nowhere").content_type.starts_with("text/html"));
  REQUIRE(api.call("GET", "/v1/nowhere").status == 404);
  REQUIRE(body(api.call("GET", "/v1/contacts/999"))["message"] == "Unable to find this Contact");
  REQUIRE(body(api.call("GET", "/v2/contacts/999"))["status"] == "NOT_FOUND");
  auto missing = api.call("POST", "/v1/files", R"({"file_name":"a","file_data":"aGk=","file_association":"USER"})");
  REQUIRE(missing.status == 400);
  REQUIRE(body(missing)["message"].get<std::string>().find("is_public") != std::string::npos);
  auto no_contact = api.call("POST", "/v1/files",
                             R"({"file_name":"a","file_data":"aGk=","is_public":false,"file_association":"CONTACT"})");
  REQUIRE(no_contact.status == 400);
  auto stored =
      api.call("POST", "/v1/files",
               R"({"file_name":"a","file_data":"aGk=","is_public":false,"file_association":"CONTACT","contact_id":5})");
  REQUIRE(stored.status == 200);
  REQUIRE(body(stored)["file_descriptor"]["file_size"] == 2);
  REQUIRE(api.call("DELETE", "/v1/contacts/3").status == 204);
}

TEST_CASE("emulator::rest_api: quota and throttle headers, a rolling minute, the day's quota", "[emulator][rest]") {
  RestSettings settings;
  settings.limits.key_per_day = 4;
  settings.limits.key_per_minute = 2;
  Api api(settings);
  auto first = api.call("GET", "/v1/contacts");
  REQUIRE(header(first, "x-keap-product-quota-available") == "3");
  REQUIRE(header(first, "x-keap-product-throttle-available") == "1");
  REQUIRE(header(first, "x-keap-product-quota-expiry-time").size() == 13); // milliseconds
  REQUIRE(api.call("GET", "/v1/contacts").status == 200);
  auto throttled = api.call("GET", "/v1/contacts", {}, {}, k_now + 30s);
  REQUIRE(throttled.status == 429);
  // The minute throttle in the same fault as the day's quota: only the headers tell them apart.
  REQUIRE(body(throttled)["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation");
  REQUIRE(header(throttled, "x-keap-product-throttle-available") == "0");
  REQUIRE(header(throttled, "x-keap-product-quota-available") == "2");
  REQUIRE(api.call("GET", "/v1/contacts", {}, {}, k_now + 61s).status == 200); // the first two aged out
  REQUIRE(api.call("GET", "/v1/contacts", {}, {}, k_now + 62s).status == 200);
  auto exhausted = api.call("GET", "/v1/contacts", {}, {}, k_now + 200s);
  REQUIRE(exhausted.status == 429);
  REQUIRE(body(exhausted)["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation");
  REQUIRE(api.call("GET", "/v1/contacts", {}, {}, k_now + 86400s).status == 200); // a new day

  RestSettings seconds;
  REQUIRE(apply_api_switch(seconds, "quota-expiry-seconds"));
  REQUIRE(apply_api_switch(seconds, "tenant-headers-pipe"));
  REQUIRE(apply_api_switch(seconds, "app-throttle-body"));
  seconds.limits.key_per_minute = 1;
  Api other(seconds);
  auto answer = other.call("GET", "/v1/contacts");
  REQUIRE(header(answer, "x-keap-product-quota-expiry-time").size() == 10);
  REQUIRE(header(answer, "x-keap-tenant-throttle-time-unit") == "minute|day");
  REQUIRE(body(other.call("GET", "/v1/contacts"))["code"] == "429");
}

TEST_CASE("emulator::rest_api: every listed fault and switch name is known, faults queue in order",
          "[emulator][rest]") {
  for (const auto& name : api_fault_list()) {
    INFO(name);
    REQUIRE(api_fault_named(name));
  }
  for (const auto& name : api_switch_list()) {
    INFO(name);
    RestSettings settings;
    REQUIRE(apply_api_switch(settings, name));
  }
  REQUIRE_FALSE(api_fault_named("418"));
  Api api;
  api.rest.add_fault(ApiFault::bad_gateway, 1);
  api.rest.add_fault(ApiFault::unauthorized, 2);
  REQUIRE(api.call("GET", "/v1/contacts").status == 502);
  REQUIRE(api.call("GET", "/v1/contacts").status == 401);
  REQUIRE(api.call("GET", "/v1/contacts").status == 401);
  REQUIRE(api.call("GET", "/v1/contacts").status == 200);
}
