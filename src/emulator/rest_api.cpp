#include "emulator/rest_api.hpp"

#include "emulator/replies.hpp"
#include "net/crypto.hpp"
#include "util/encoding.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace keap::emulator {

namespace {

using namespace replies;
using namespace std::chrono_literals;

const char* const k_family_names[] = {"Lovelace", "Hopper", "Turing", "Noether", "Curie"};

ApiReply empty_reply(int status) { return {status, "", "", {}}; }

ApiReply html(int status, const std::string& title, const std::string& text) {
  return {status,
          "<!DOCTYPE html><html><head><title>" + title + "</title></head><body><h2>" + text + "</h2></body></html>",
          "text/html; charset=UTF-8",
          {}};
}

/// What Google's front end answers a GET with a body, and Keap a body it cannot frame.
ApiReply malformed() { return html(400, "400 Bad Request", "Your client has issued a malformed or illegal request."); }

ApiReply not_found() { return html(404, "Keap - Page Not Found", "The page you requested could not be found."); }

std::string header(const ApiCall& call, std::string_view name) {
  for (const auto& [key, value] : call.headers) {
    if (util::same_ignoring_case(key, name)) {
      return value;
    }
  }
  return {};
}

bool has_header(const ApiCall& call, std::string_view name) {
  return std::any_of(call.headers.begin(), call.headers.end(),
                     [&](const auto& pair) { return util::same_ignoring_case(pair.first, name); });
}

std::optional<long long> number(const std::string& text) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

/// "/v1/contacts/51" → {"v1", "contacts", "51"}.
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t start = 1; start <= path.size();) {
    auto slash = path.find('/', start);
    auto part = path.substr(start, slash == std::string::npos ? slash : slash - start);
    if (!part.empty()) {
      parts.push_back(part);
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return parts;
}

std::string random_key() {
  std::string key = "KeapAK-";
  for (char c : net::random_url_safe(32)) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      key += c;
    }
  }
  return key;
}

} // namespace

std::optional<ApiFault> api_fault_named(std::string_view name) {
  const std::pair<const char*, ApiFault> k_names[] = {{"401", ApiFault::unauthorized},
                                                      {"403", ApiFault::forbidden},
                                                      {"429", ApiFault::throttled},
                                                      {"quota", ApiFault::quota_exhausted},
                                                      {"429-quota-body", ApiFault::throttled_quota_body},
                                                      {"502", ApiFault::bad_gateway},
                                                      {"503", ApiFault::unavailable},
                                                      {"504", ApiFault::gateway_timeout},
                                                      {"reset", ApiFault::reset},
                                                      {"slow", ApiFault::slow}};
  for (auto [known, fault] : k_names) {
    if (name == known) {
      return fault;
    }
  }
  return std::nullopt;
}

bool apply_api_switch(RestSettings& settings, std::string_view name) {
  if (name == "lenient-framing") {
    settings.strict_framing = false;
  } else if (name == "quota-expiry-seconds") {
    settings.quota_expiry_in_milliseconds = false;
  } else if (name == "tenant-headers-scalar") {
    settings.tenant_headers = "scalar";
  } else if (name == "tenant-headers-pipe") {
    settings.tenant_headers = "pipe";
  } else if (name == "next-token-url") {
    settings.next_page_token_as_url = true;
  } else if (name == "keys-on-userinfo") {
    settings.keys_on_userinfo = true;
  } else if (name == "both-headers-rejected") {
    settings.both_headers_rejected = true;
  } else if (name == "app-throttle-body") {
    settings.app_throttle_body = true;
  } else if (name == "last-token-absent") {
    settings.last_token_absent = true;
  } else if (name == "keys-as-bearer") {
    settings.keys_as_bearer = true;
  } else {
    return false;
  }
  return true;
}

RestApi::RestApi(State& oauth, RestSettings settings)
    : m_oauth(oauth), m_settings(std::move(settings)), m_pat(random_key()), m_sak(random_key()) {
  for (int i = 1; i <= m_settings.contacts; ++i) {
    m_contacts.push_back(
        {i, "Given" + std::to_string(i), k_family_names[i % 5], "person" + std::to_string(i) + "@example.com"});
  }
}

void RestApi::add_fault(ApiFault fault, int count) {
  std::lock_guard lock(m_mutex);
  if (count > 0) {
    m_faults.emplace_back(fault, count);
  }
}

std::vector<ApiRequestRecord> RestApi::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

std::optional<RestApi::Subject> RestApi::authenticate(const ApiCall& call, TimePoint now,
                                                      ApiRequestRecord& record) const {
  auto authorization = header(call, "Authorization");
  auto key = header(call, "X-Keap-API-Key");
  bool has_authorization = has_header(call, "Authorization"), has_key = has_header(call, "X-Keap-API-Key");
  record.credential_header = has_authorization && has_key ? "both"
                             : has_authorization          ? "Authorization"
                             : has_key                    ? "X-Keap-API-Key"
                                                          : "";
  auto as_key = [&](const std::string& value) -> std::optional<Subject> {
    if (value == m_pat) {
      return Subject{"pat", m_pat};
    }
    if (value == m_sak) {
      return Subject{"sak", m_sak};
    }
    return std::nullopt;
  };
  if (has_key) {
    return as_key(key); // an OAuth token sent here is refused, as Keap's gateway does
  }
  if (authorization.starts_with("Bearer ")) {
    auto token = authorization.substr(7);
    if (auto subject = as_key(token)) {
      return m_settings.keys_as_bearer ? subject : std::nullopt; // a key in the wrong header: Keap's 401
    }
    if (m_oauth.access_token_valid(token, now)) {
      return Subject{"oauth", m_oauth.settings().client_id};
    }
  }
  return std::nullopt;
}

std::optional<ApiReply> RestApi::framing_problem(const ApiCall& call) const {
  bool has_length = has_header(call, "Content-Length");
  auto length = number(header(call, "Content-Length"));
  bool sends_body = call.chunked || (length && *length > 0);
  if ((call.method == "GET" || call.method == "HEAD") && sends_body) {
    return malformed();
  }
  if (!m_settings.strict_framing || (call.method != "POST" && call.method != "PUT" && call.method != "PATCH")) {
    return std::nullopt;
  }
  if (call.chunked || !has_length) {
    return malformed(); // Keap rejects bodies it cannot size up front
  }
  bool text = !header(call, "Content-Type").starts_with("multipart/");
  if (text && util::invalid_utf8_offset(call.body)) {
    return malformed();
  }
  return std::nullopt;
}

std::optional<ApiReply> RestApi::take_fault() {
  std::lock_guard lock(m_mutex);
  if (m_faults.empty()) {
    return std::nullopt;
  }
  auto fault = m_faults.front().first;
  if (--m_faults.front().second == 0) {
    m_faults.pop_front();
  }
  switch (fault) {
  case ApiFault::unauthorized:
    return unauthorized();
  case ApiFault::forbidden:
    return v2_error(403, "PERMISSION_DENIED", "The user does not have permission to access this resource");
  case ApiFault::throttled:
    return gateway_fault(429, "Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod=10}",
                         "policies.ratelimit.SpikeArrestViolation");
  case ApiFault::quota_exhausted: {
    auto reply =
        gateway_fault(429, "Rate limit quota violation. Quota limit exceeded.", "policies.ratelimit.QuotaViolation");
    reply.headers = {{"x-keap-product-quota-available", "0"}, {"x-keap-product-quota-time-unit", "day"}};
    return reply;
  }
  case ApiFault::throttled_quota_body: {
    // The minute throttle in the fault Keap's gateway also uses for the day: the headers tell them apart.
    auto reply =
        gateway_fault(429, "Rate limit quota violation. Quota limit exceeded.", "policies.ratelimit.QuotaViolation");
    reply.headers = {{"x-keap-product-quota-available", "1000"},
                     {"x-keap-product-quota-time-unit", "day"},
                     {"x-keap-product-throttle-available", "0"},
                     {"x-keap-product-throttle-time-unit", "minute"}};
    return reply;
  }
  case ApiFault::bad_gateway:
    return html(502, "502 Bad Gateway", "Bad Gateway");
  case ApiFault::unavailable:
    return html(503, "503 Service Unavailable", "Service Unavailable");
  case ApiFault::gateway_timeout:
    return html(504, "504 Gateway Timeout", "Gateway Timeout");
  case ApiFault::reset: {
    ApiReply reply;
    reply.reset = true;
    return reply;
  }
  case ApiFault::slow: {
    ApiReply reply;
    reply.status = 0; // answer normally, later
    reply.delay = 3s;
    return reply;
  }
  }
  return std::nullopt;
}

void RestApi::Usage::age(Moment at, long long day) {
  if (day_number != day) { // the day's quota resets at 00:00 UTC
    day_number = day;
    used_today = 0;
  }
  while (!second.empty() && second.front() <= at - std::chrono::seconds(1)) {
    second.pop_front(); // rolling windows: calls come back as they age out
  }
  while (!minute.empty() && minute.front() <= at - std::chrono::seconds(60)) {
    minute.pop_front();
  }
}

std::optional<ApiReply> RestApi::count_call(const Subject& subject, Moment at, TimePoint now, ApiReply& reply) {
  std::lock_guard lock(m_mutex);
  const auto& limits = m_settings.limits;
  bool key = subject.credential != "oauth";
  auto per_second = key ? limits.key_per_second : limits.client_per_second;
  auto per_minute = key ? limits.key_per_minute : limits.client_per_minute;
  auto per_day = key ? limits.key_per_day : limits.client_per_day;
  auto day = now.time_since_epoch().count() / 86400;
  auto& usage = m_usage[subject.pool];
  auto& tenant = m_usage["tenant " + m_oauth.settings().app];
  usage.age(at, day);
  tenant.age(at, day);
  auto quota_fault = [&] {
    return gateway_fault(429, "Rate limit quota violation. Quota limit exceeded. Identifier : " + subject.credential,
                         "policies.ratelimit.QuotaViolation");
  };
  std::optional<ApiReply> refused;
  if (static_cast<long long>(usage.second.size()) >= per_second) {
    // Apigee's spike arrest: its own fault, and no rate headers (design/api.md section 9).
    auto rate = "MessageRate{messagesPerPeriod=" + std::to_string(per_second) + ", periodInMicroseconds=1000000}";
    auto spike = gateway_fault(429, "Spike arrest violation. Allowed rate : " + rate,
                               "policies.ratelimit.SpikeArrestViolation");
    if (!m_settings.retry_after.empty()) {
      spike.headers.emplace_back("Retry-After", m_settings.retry_after);
    }
    return spike;
  }
  if (usage.used_today >= per_day || tenant.used_today >= limits.tenant_per_day) {
    refused = quota_fault();
  } else if (static_cast<long long>(usage.minute.size()) >= per_minute ||
             static_cast<long long>(tenant.minute.size()) >= limits.tenant_per_minute) {
    refused = m_settings.app_throttle_body ? json(429, {{"code", "429"},
                                                        {"message", "Quota Exceeded"},
                                                        {"status", "Request Throttled"},
                                                        {"details", nullptr}})
                                           : quota_fault(); // the minute's fault looks like the day's
  } else {
    for (auto* pool : {&usage, &tenant}) {
      ++pool->used_today;
      pool->second.push_back(at);
      pool->minute.push_back(at);
    }
  }
  add_rate_headers(refused ? refused->headers : reply.headers, subject, usage, tenant, day);
  if (refused && !m_settings.retry_after.empty()) {
    refused->headers.emplace_back("Retry-After", m_settings.retry_after);
  }
  return refused;
}

void RestApi::add_rate_headers(std::vector<std::pair<std::string, std::string>>& headers, const Subject& subject,
                               const Usage& usage, const Usage& tenant, long long day) const {
  const auto& limits = m_settings.limits;
  bool key = subject.credential != "oauth";
  auto per_minute = key ? limits.key_per_minute : limits.client_per_minute;
  auto per_day = key ? limits.key_per_day : limits.client_per_day;
  auto next_midnight = (day + 1) * 86400;
  auto expiry = m_settings.quota_expiry_in_milliseconds ? next_midnight * 1000 : next_midnight;
  auto minute_used = static_cast<long long>(usage.minute.size());
  auto text = [](long long number) { return std::to_string(std::max(0LL, number)); };
  headers.insert(headers.end(), {{"x-keap-product-quota-limit", text(per_day)},
                                 {"x-keap-product-quota-time-unit", "day"},
                                 {"x-keap-product-quota-interval", "1"},
                                 {"x-keap-product-quota-available", text(per_day - usage.used_today)},
                                 {"x-keap-product-quota-used", text(usage.used_today)},
                                 {"x-keap-product-quota-expiry-time", std::to_string(expiry)},
                                 {"x-keap-product-throttle-limit", text(per_minute)},
                                 {"x-keap-product-throttle-time-unit", "minute"},
                                 {"x-keap-product-throttle-interval", "1"},
                                 {"x-keap-product-throttle-available", text(per_minute - minute_used)},
                                 {"x-keap-product-throttle-used", text(minute_used)}});
  auto tenant_minute = static_cast<long long>(tenant.minute.size());
  if (m_settings.tenant_headers == "scalar") {
    headers.insert(headers.end(), {{"x-keap-tenant-throttle-limit", text(limits.tenant_per_minute)},
                                   {"x-keap-tenant-throttle-used", text(tenant_minute)},
                                   {"x-keap-tenant-throttle-available", text(limits.tenant_per_minute - tenant_minute)}});
  } else if (m_settings.tenant_headers == "pipe") {
    headers.insert(headers.end(),
                   {{"x-keap-tenant-throttle-limit", text(limits.tenant_per_minute) + "|" + text(limits.tenant_per_day)},
                    {"x-keap-tenant-throttle-time-unit", "minute|day"},
                    {"x-keap-tenant-throttle-interval", "1|1"},
                    {"x-keap-tenant-throttle-used", text(tenant_minute) + "|" + text(tenant.used_today)},
                    {"x-keap-tenant-throttle-available", text(limits.tenant_per_minute - tenant_minute) + "|" +
                                                             text(limits.tenant_per_day - tenant.used_today)}});
  }
}

void ApiLimits::scale(double factor) {
  for (auto* limit : {&client_per_second, &client_per_minute, &client_per_day, &key_per_second, &key_per_minute,
                      &key_per_day, &tenant_per_minute, &tenant_per_day}) {
    *limit = std::max(1LL, static_cast<long long>(static_cast<double>(*limit) * factor));
  }
}

namespace {
struct LimitName {
  const char* name;
  long long ApiLimits::*limit;
};
constexpr LimitName k_limit_names[] = {
    {"client_per_second", &ApiLimits::client_per_second}, {"client_per_minute", &ApiLimits::client_per_minute},
    {"client_per_day", &ApiLimits::client_per_day},       {"key_per_second", &ApiLimits::key_per_second},
    {"key_per_minute", &ApiLimits::key_per_minute},       {"key_per_day", &ApiLimits::key_per_day},
    {"tenant_per_minute", &ApiLimits::tenant_per_minute}, {"tenant_per_day", &ApiLimits::tenant_per_day}};
} // namespace

bool ApiLimits::set(std::string_view name, long long value) {
  for (const auto& entry : k_limit_names) {
    if (name == entry.name) {
      this->*entry.limit = value;
      return true;
    }
  }
  return false;
}

std::string ApiLimits::names() {
  std::string text;
  for (const auto& entry : k_limit_names) {
    text += (text.empty() ? "" : ", ") + std::string(entry.name);
  }
  return text;
}

ApiReply RestApi::handle(const ApiCall& call, TimePoint now) {
  ApiRequestRecord record{call.method,
                          call.path,
                          call.query,
                          {},
                          number(header(call, "Content-Length")),
                          header(call, "Transfer-Encoding"),
                          header(call, "Content-Type"),
                          !util::invalid_utf8_offset(call.body).has_value(),
                          "",
                          "",
                          call.body,
                          net::sha256(call.body),
                          call.arrived.value_or(std::chrono::steady_clock::now()),
                          0};
  for (const auto& [name, value] : call.headers) {
    record.header_names.push_back(name);
  }
  auto subject = authenticate(call, now, record);
  record.credential = subject ? subject->credential : "";
  ApiReply reply;
  auto fault = take_fault();
  if (fault && fault->status != 0) {
    reply = *fault;
  } else if (auto problem = framing_problem(call)) {
    reply = *problem;
  } else if (m_settings.both_headers_rejected && record.credential_header == "both") {
    reply = v2_error(400, "BAD_REQUEST", "Send one credential: Authorization or X-Keap-API-Key, not both");
  } else if (!subject) {
    reply = unauthorized(); // the gateway authenticates before it routes
  } else if (auto refused = count_call(*subject,
                                        call.arrived ? call.arrived->time_since_epoch()
                                                     : std::chrono::duration_cast<Moment>(now.time_since_epoch()),
                                        now, reply)) {
    reply = *refused;
  } else {
    auto headers = std::move(reply.headers);
    reply = route(call, *subject, now);
    reply.headers.insert(reply.headers.begin(), headers.begin(), headers.end());
  }
  if (fault) {
    reply.delay = fault->delay; // a slow answer, whatever it says (a 401 included)
  }
  record.status = reply.status;
  std::lock_guard lock(m_mutex);
  m_requests.push_back(std::move(record));
  return reply;
}

ApiReply RestApi::route(const ApiCall& call, const Subject& subject, TimePoint now) {
  (void)now;
  auto parts = segments(call.path);
  const auto& method = call.method;
  if (parts.size() >= 2 && parts[1] == "oauth") {
    return userinfo(subject);
  }
  if (parts.size() == 2 && parts[1] == "contacts") {
    if (method == "GET") {
      return parts[0] == "v1" ? list_contacts_v1(call) : list_contacts_v2(call);
    }
    if (method == "POST") {
      return create_contact(call, parts[0] == "v2");
    }
  }
  if (parts.size() == 3 && parts[1] == "contacts") {
    std::lock_guard lock(m_mutex);
    auto id = number(parts[2]);
    auto found =
        std::find_if(m_contacts.begin(), m_contacts.end(), [&](const Contact& c) { return id && c.id == *id; });
    if (found == m_contacts.end()) {
      return parts[0] == "v1" ? v1_error(404, "Unable to find this Contact")
                              : v2_error(404, "NOT_FOUND", "Contact not found");
    }
    if (method == "DELETE") {
      m_contacts.erase(found);
      return empty_reply(204);
    }
    if (method == "GET") {
      return json(200, {{"id", found->id}, {"given_name", found->given_name}, {"family_name", found->family_name}});
    }
  }
  if (parts.size() == 3 && parts[0] == "v1" && parts[1] == "account" && parts[2] == "profile" && method == "GET") {
    return json(200, {{"name", "Emulated Company"},
                      {"email", "owner@example.com"},
                      {"time_zone", "UTC"},
                      {"website", "https://example.com"}});
  }
  if (parts.size() == 2 && parts[1] == "tags" && method == "GET") {
    return list_tags(call);
  }
  if (parts.size() == 4 && parts[0] == "v2" && parts[1] == "files" && parts[3] == "data" && method == "GET") {
    if (number(parts[2]) != k_large_file_id || m_settings.large_file_bytes <= 0) {
      return v2_error(404, "NOT_FOUND", "File not found");
    }
    ApiReply data{200, "", "application/octet-stream", {}};
    data.streamed_bytes = m_settings.large_file_bytes;
    return data;
  }
  if (parts.size() == 2 && parts[1] == "files" && method == "POST") {
    return parts[0] == "v1" ? upload_file_v1(call) : upload_file_v2(call);
  }
  if (parts.size() == 2 && parts[0] == "v2" && parts[1] == "emails:send" && method == "POST") {
    return empty_reply(202);
  }
  return not_found();
}

} // namespace keap::emulator
