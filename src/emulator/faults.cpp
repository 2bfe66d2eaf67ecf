#include "emulator/faults.hpp"

namespace keap::emulator {

namespace {

using namespace std::chrono_literals;

const std::string k_json = "application/json";
const std::string k_html = "text/html";
const std::string k_unavailable = "<html><body><h1>Service Unavailable</h1></body></html>";

/// A fault answering `status` with `body`; the other fields keep Fault's defaults.
Fault answer(int status, std::string body, std::string content_type) {
  Fault fault;
  fault.status = status;
  fault.body = std::move(body);
  fault.content_type = std::move(content_type);
  return fault;
}

Fault delivered(Fault fault, Delivery delivery) {
  fault.delivery = delivery;
  return fault;
}

Fault expiring_in(const char* expires_in) {
  return answer(200,
                std::string(R"({"access_token":"Ab3xYz","token_type":"bearer","refresh_token":"Rf9","expires_in":)") +
                    expires_in + "}",
                k_json);
}

Fault rate_limited() {
  auto fault = answer(429,
                      R"({"fault":{"faultstring":"Rate limit quota violation. Quota limit exceeded.",)"
                      R"("detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}})",
                      k_json);
  fault.retry_after = "2";
  return fault;
}

Fault slow() {
  auto fault = answer(0, "", "");
  fault.delay = 90s;
  return fault;
}

const std::vector<NamedFault> k_faults{
    {"http-500", "500 with an HTML body", [] { return Fault{}; }},
    {"http-502", "502 with an HTML body", [] { return answer(502, k_unavailable, k_html); }},
    {"http-503", "503 with an HTML body", [] { return answer(503, k_unavailable, k_html); }},
    {"rate-limit", "429 with Keap's quota fault body and Retry-After: 2", rate_limited},
    {"slow", "answers normally after 90 s", slow},
    {"never-ends", "200 whose chunked body never ends",
     [] { return delivered(answer(200, R"({"access_token": ")", k_json), Delivery::endless); }},
    {"truncated", "200 cut off before the end of its Content-Length",
     [] {
       return delivered(answer(200, R"({"access_token":"Ab3xYz","token_type":"bearer","expi)", k_json),
                        Delivery::truncated);
     }},
    {"huge-body", "200 with a 6 MiB body",
     [] { return answer(200, "{\"padding\": \"" + std::string(6 * 1024 * 1024, 'x') + "\"}", k_json); }},
    {"malformed-json", "200 with broken JSON",
     [] { return answer(200, R"({"access_token": "abc", "refresh_tok)", k_json); }},
    {"missing-field", "200 without a refresh_token",
     [] { return answer(200, R"({"access_token":"Ab3xYz","token_type":"bearer","expires_in":86399})", k_json); }},
    {"wrong-type", "200 whose fields have the wrong JSON types",
     [] { return answer(200, R"({"access_token":42,"refresh_token":["r"],"expires_in":{"s":1}})", k_json); }},
    {"expires-in-zero", "200 with expires_in 0", [] { return expiring_in("0"); }},
    {"expires-in-negative", "200 with expires_in -3600", [] { return expiring_in("-3600"); }},
    {"expires-in-absurd", "200 with an expires_in of millions of years", [] { return expiring_in("99999999999999"); }},
};

} // namespace

const std::vector<NamedFault>& named_faults() { return k_faults; }

std::optional<Fault> named_fault(std::string_view name) {
  for (const auto& named : named_faults()) {
    if (name == named.name) {
      return named.make();
    }
  }
  return std::nullopt;
}

std::string fault_names() {
  std::string names;
  for (const auto& named : named_faults()) {
    names += (names.empty() ? "" : ", ") + std::string(named.name);
  }
  return names;
}

const std::vector<std::string>& api_fault_list() {
  static const std::vector<std::string> k_names{"401", "403", "429", "429-quota-body", "quota",
                                                "502", "503", "504", "reset",          "slow"};
  return k_names;
}

const std::vector<std::string>& api_switch_list() {
  static const std::vector<std::string> k_names{
      "lenient-framing",       // accept bodies without Content-Length, chunked, or not UTF-8
      "quota-expiry-seconds",  // x-keap-product-quota-expiry-time in epoch seconds, not milliseconds
      "tenant-headers-scalar", // x-keap-tenant-throttle-* as plain numbers
      "tenant-headers-pipe",   // x-keap-tenant-throttle-* as "minute|day" lists
      "next-token-url",        // v2's next_page_token as a whole URL
      "last-token-absent",     // v2's last page leaves next_page_token out instead of sending ""
      "keys-on-userinfo",      // userinfo answers PATs and SAKs too
      "both-headers-rejected", // 400 when Authorization and X-Keap-API-Key both come
      "app-throttle-body",     // a 429 in the app's {"code":"429",...} shape instead of the gateway's fault
      "keys-as-bearer",        // a PAT or SAK works as Authorization: Bearer (seen, not documented)
  };
  return k_names;
}

} // namespace keap::emulator
