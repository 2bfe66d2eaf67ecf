#pragma once

#include "emulator/state.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The emulator's Keap REST API (design/api.md section 11): contacts, tags and files in v1 and v2
/// shapes, both credential kinds, Keap's error bodies per layer, framing checks, rate-limit headers and
/// 429s, faults for the next calls, and a log of what each request carried (never a secret).
namespace keap::emulator {

/// Keap's pools (docs/design/agent.md, "Keap's limits"), each counted as Keap documents it: a rolling
/// second (the spike arrest, which sends no rate headers), a rolling minute, and a day from 00:00 UTC.
/// Tests scale them down (`--api-limit NAME=N`, `--api-limits-scale F`).
struct ApiLimits {
  long long client_per_second = 25; ///< per OAuth client id
  long long client_per_minute = 1500;
  long long client_per_day = 150000;
  long long key_per_second = 10; ///< per PAT or SAK
  long long key_per_minute = 240;
  long long key_per_day = 30000;
  long long tenant_per_minute = 10000; ///< every request to the app, whatever the credential
  long long tenant_per_day = 250000;

  /// Every limit times `factor`, each at least 1.
  void scale(double factor);
  /// Sets the limit called `name` (client_per_second, ...); false for an unknown name.
  bool set(std::string_view name, long long value);
  /// "client_per_second, client_per_minute, ...", for --help and messages.
  static std::string names();
};

/// What the REST API is set to do where Keap's behaviour is unknown or a test needs it small.
struct RestSettings {
  int contacts = 100; ///< seeded contacts, ids 1..N
  ApiLimits limits;
  bool strict_framing = true;               ///< 400 for a body without Content-Length, chunked, or not UTF-8 (OBS)
  bool quota_expiry_in_milliseconds = true; ///< x-keap-product-quota-expiry-time's unit (UNK)
  std::string tenant_headers = "none";      ///< none | scalar | pipe (UNK, 2ND)
  bool next_page_token_as_url = false;      ///< v2 tokens as whole URLs (OBS in one fixture)
  bool last_token_absent = false;           ///< v2's last page without next_page_token at all (UNK)
  bool keys_on_userinfo = false;            ///< whether userinfo answers a key (UNK)
  bool both_headers_rejected = false;       ///< 400 when Authorization and X-Keap-API-Key both come (UNK)
  std::string retry_after;                  ///< a Retry-After on 429s, when not empty (UNK: none seen)
  bool app_throttle_body = false;           ///< the app-level 429 body ({"code":"429",...}) instead of the gateway's
  /// A PAT or SAK sent as `Authorization: Bearer` is accepted (OBS in SDKs and Keap's samples, not
  /// documented); by default it gets the gateway's 401, as a key in the wrong header should.
  bool keys_as_bearer = false;
  /// The content of v2's file k_large_file_id, in bytes (0: no such file): GET /v2/files/ID/data streams
  /// it, so that tests can download more than any buffer should hold.
  long long large_file_bytes = 0;
};

constexpr long long k_large_file_id = 900001;

/// One API request as the emulator saw it, for tests: never a credential's value.
struct ApiRequestRecord {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::string> header_names;
  std::optional<long long> content_length;
  std::string transfer_encoding;
  std::string content_type;
  bool body_utf8 = true;
  std::string credential;        ///< "oauth", "pat", "sak", "" (none or unknown)
  std::string credential_header; ///< "Authorization", "X-Keap-API-Key", "both" or ""
  std::string body;              ///< what was sent (for checking fields; tests only ever send test data)
  std::string body_sha256;       ///< hex, to compare replays
  std::chrono::steady_clock::time_point arrived{}; ///< when the request was whole at the emulator
  int status = 0;
};

/// Faults for the next API calls.
enum class ApiFault {
  unauthorized,
  forbidden,
  throttled,
  quota_exhausted,
  throttled_quota_body, ///< the minute throttle with the QuotaViolation fault Keap also uses for the day
  bad_gateway,
  unavailable,
  gateway_timeout,
  reset,
  slow
};

/// The ApiFault of an --api-fault name (faults.hpp lists them).
std::optional<ApiFault> api_fault_named(std::string_view name);

/// Sets what an --api-switch name (faults.hpp lists them) says; false for an unknown name.
bool apply_api_switch(RestSettings& settings, std::string_view name);

struct ApiReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json;charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
  bool reset = false; ///< close the connection without an answer
  std::chrono::milliseconds delay{0};
  long long streamed_bytes = 0; ///< a body this long, made and streamed by the server instead of `body`
};

/// The parts of a request the API needs (the server fills it from the request it read).
struct ApiCall {
  std::string method;
  std::string path; ///< under /crm/rest, e.g. /v1/contacts
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers; ///< names as sent
  std::string body;
  bool chunked = false;
  /// When the request was whole (the server sets it; the rolling windows count on it). Unset: `now`.
  std::optional<std::chrono::steady_clock::time_point> arrived;
  /// multipart/form-data parts: name → (filename, content)
  std::map<std::string, std::pair<std::string, std::string>> parts;
};

class RestApi {
public:
  RestApi(State& oauth, RestSettings settings);

  ApiReply handle(const ApiCall& call, TimePoint now);

  /// The keys it issued: a Personal Access Token and a Service Account Key.
  const std::string& personal_access_token() const { return m_pat; }
  const std::string& service_account_key() const { return m_sak; }
  /// True when an Authorization header carries one of those keys as a Bearer token.
  bool is_key_authorization(const std::string& authorization) const {
    return authorization == "Bearer " + m_pat || authorization == "Bearer " + m_sak;
  }

  /// Makes the next `count` API calls fail with `fault`, after any faults already queued.
  void add_fault(ApiFault fault, int count);

  std::vector<ApiRequestRecord> requests() const;
  RestSettings& settings() { return m_settings; }

private:
  struct Subject {
    std::string credential; ///< oauth | pat | sak
    std::string pool;       ///< what its quota counts against: the client id, or the key
  };
  using Moment = std::chrono::nanoseconds; ///< on the steady clock, or `now`'s when the call has no arrival
  /// One pool's use: the calls of the last second and minute, and of the day.
  struct Usage {
    long long day_number = -1;
    long long used_today = 0;
    std::deque<Moment> second;
    std::deque<Moment> minute;
    void age(Moment at, long long day);
  };
  struct Contact {
    long long id;
    std::string given_name;
    std::string family_name;
    std::string email;
  };

  std::optional<Subject> authenticate(const ApiCall& call, TimePoint now, ApiRequestRecord& record) const;
  std::optional<ApiReply> framing_problem(const ApiCall& call) const;
  std::optional<ApiReply> take_fault();
  std::optional<ApiReply> count_call(const Subject& subject, Moment at, TimePoint now, ApiReply& headers_from);
  void add_rate_headers(std::vector<std::pair<std::string, std::string>>& headers, const Subject& subject,
                        const Usage& usage, const Usage& tenant, long long day) const;
  ApiReply route(const ApiCall& call, const Subject& subject, TimePoint now);
  ApiReply list_contacts_v1(const ApiCall& call) const;
  ApiReply list_contacts_v2(const ApiCall& call) const;
  ApiReply create_contact(const ApiCall& call, bool v2);
  ApiReply upload_file_v1(const ApiCall& call);
  ApiReply upload_file_v2(const ApiCall& call);
  ApiReply list_tags(const ApiCall& call) const;
  ApiReply userinfo(const Subject& subject) const;

  State& m_oauth;
  RestSettings m_settings;
  std::string m_pat;
  std::string m_sak;
  mutable std::mutex m_mutex;
  std::vector<Contact> m_contacts;
  long long m_next_file_id = 1;
  std::map<std::string, Usage> m_usage;
  std::deque<std::pair<ApiFault, int>> m_faults; ///< in order: which fault, for how many more calls
  std::vector<ApiRequestRecord> m_requests;
};

} // namespace keap::emulator
