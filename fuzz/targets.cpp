#include "targets.hpp"

#include "agent/endpoints.hpp"
#include "agent/proxy.hpp"
#include "agent/settings.hpp"
#include "net/wire.hpp"
#include "api/error_body.hpp"
#include "api/fields.hpp"
#include "api/pagination.hpp"
#include "api/rate_limit.hpp"
#include "core/config.hpp"
#include "core/credential.hpp"
#include "core/error.hpp"
#include "emulator/multipart.hpp"
#include "emulator/rest_api.hpp"
#include "emulator/state.hpp"
#include "net/http_client.hpp"
#include "net/http_reader.hpp"
#include "net/retry_policy.hpp"
#include "oauth/callback.hpp"
#include "oauth/pending_login.hpp"
#include "oauth/token_client.hpp"
#include "pgstore/journal.hpp"
#include "pgstore/seal.hpp"
#include "store/token_cache.hpp"
#include "util/duration.hpp"
#include "util/encoding.hpp"
#include "util/json.hpp"
#include "util/text.hpp"
#include "util/timestamp.hpp"
#include "util/url.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace keap::fuzz {

namespace {

using namespace keap::oauth;
using namespace keap::util;

/// A broken invariant: crash, so libFuzzer keeps the input.
void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void callback(std::string_view input) {
  auto callback = parse_callback(input);
  if (!callback.problem && callback.code) {
    require(input.find("code") != std::string_view::npos);
  }
  auto answer = parse_pasted_answer(input);
  require(answer.problem.has_value() + answer.callback.has_value() + answer.code.has_value() == 1);
}

void url(std::string_view input) {
  auto parsed = parse_url(input);
  if (parsed) {
    auto again = parse_url(parsed->to_string());
    require(again && again->to_string() == parsed->to_string() && again->host == parsed->host &&
            again->port == parsed->port);
    (void)is_loopback_host(parsed->host);
  }
  if (auto decoded = percent_decode(input)) {
    require(*percent_decode(percent_encode(*decoded)) == *decoded);
  }
}

void token_response(std::string_view input) {
  static constexpr int k_statuses[] = {200, 201, 400, 401, 403, 429, 500, 503};
  int status = input.empty() ? 200 : k_statuses[static_cast<unsigned char>(input[0]) % 8];
  net::HttpResponse response{
      status, std::string(input.empty() ? input : input.substr(1)), {{"content-type", "application/json"}}};
  for (auto grant : {Grant::authorization_code, Grant::refresh_token}) {
    try {
      auto token = interpret_token_response(response, "https://fuzz/token", grant);
      require(!token.access_token.empty() && !token.refresh_token.empty() && token.expires_in > 0);
    } catch (const Error&) {
    }
  }
}

void credentials(std::string_view input) {
  try {
    auto parsed = parse_credential(input, "fuzz.json");
    auto again = parse_credential(serialize_credential(parsed), "fuzz.json");
    if (const auto* grant = std::get_if<OAuthGrant>(&parsed)) {
      const auto& reread = std::get<OAuthGrant>(again);
      require(reread.refresh_token == grant->refresh_token && reread.expires_at == grant->expires_at &&
              reread.token_auth == grant->token_auth);
    } else {
      require(std::get<ApiKey>(again).key == std::get<ApiKey>(parsed).key);
    }
  } catch (const Error&) {
  }
}

void config(std::string_view input) {
  Config config;
  try {
    apply_config_text(config, std::string(input), "fuzz.json");
    validate_config(config);
  } catch (const Error&) {
  }
}

void durations(std::string_view input) {
  if (auto duration = parse_duration(input)) {
    require(duration->count() >= 0);
    (void)format_duration(*duration);
  }
  if (auto time = parse_rfc3339(input)) {
    require(parse_rfc3339(format_rfc3339(*time)) == time);
  }
}

void pending(std::string_view input) {
  try {
    auto parsed = parse_pending(input, "fuzz.pending");
    require(parse_pending(serialize_pending(parsed), "fuzz.pending").state == parsed.state);
  } catch (const Error&) {
  }
}

void emulator_requests(std::string_view input) {
  if (auto form = parse_form(input)) {
    require(*parse_form(form_encode(*form)) == *form);
  }
  (void)emulator::parse_basic_authorization(input);
  (void)emulator::parse_basic_authorization("Basic " + std::string(input));
  static emulator::State state([] {
    emulator::Settings settings;
    settings.client_id = "fuzz";
    settings.client_secret = "fuzz-secret";
    return settings;
  }());
  auto reply =
      state.token({"application/x-www-form-urlencoded", std::string(input), std::string(input)}, util::TimePoint{});
  require(reply.status >= 200 && reply.status < 600);
}

/// Retry-After: seconds, HTTP-dates in three forms, garbage; never negative, never throws.
void retry_after(std::string_view input) {
  auto now = util::TimePoint{std::chrono::seconds{1'800'000'000}};
  if (auto wait = net::parse_retry_after(input, now)) {
    require(wait->count() >= 0);
  }
  (void)util::invalid_utf8_offset(input);
}

/// `api`'s -f/-F fields: lines of input are fields, odd lines typed. Never throws anything but Error,
/// and what it builds serialises.
void api_fields(std::string_view input) {
  std::vector<api::Field> fields;
  size_t start = 0;
  while (start <= input.size() && fields.size() < 64) {
    auto end = input.find('\n', start);
    auto line = input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    fields.push_back({fields.size() % 2 ? api::Field::Kind::typed : api::Field::Kind::string, std::string(line)});
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  try {
    auto body = api::build_body(fields, [](const std::string& path) { return path; });
    require(!util::dump_json(body).empty());
  } catch (const Error&) {
  }
  for (const auto& field : fields) {
    try {
      (void)api::parse_query_field(field.text);
    } catch (const Error&) {
    }
    try {
      auto header = api::parse_header_field(field.text);
      require(header.second.find_first_of("\r\n") == std::string::npos);
    } catch (const Error&) {
    }
  }
}

/// A page of a listing as Keap might send it, and its error-body reading: the paginator never loops
/// (offsets grow, tokens never repeat) and never throws.
void api_pages(std::string_view input) {
  auto body = util::parse_ordered_json(input);
  for (const char* first : {"https://h/crm/rest/v1/contacts?limit=2", "https://h/crm/rest/v2/contacts?page_size=2"}) {
    api::Paginator pages(*util::parse_url(first));
    auto shape = api::page_shape(body, pages.current().path);
    std::string last;
    for (int page = 0; page < 4; ++page) {
      std::optional<util::Url> next;
      try {
        next = pages.next(body, shape); // the same page again: refused as a server that does not move on
      } catch (const Error& error) {
        require(std::string(error.what()).find("same items") != std::string::npos);
        break;
      }
      if (!next) {
        break;
      }
      require(next->to_string() != last);
      last = next->to_string();
    }
    nlohmann::ordered_json merged;
    if (shape.style != api::PageStyle::none) {
      api::merge_page(merged, body, shape, true);
      api::merge_page(merged, body, shape, false);
    }
  }
  if (auto message = api::error_message(input)) {
    require(message->find_first_of("\r\n\x1b") == std::string::npos);
  }
  (void)api::fault_code(input);
}

/// Keap's rate-limit headers: "name: value" lines. Whatever comes, the state describes itself and
/// survives its round trip through the remembered file.
void rate_limits(std::string_view input) {
  net::Headers headers;
  static const char* const k_names[] = {"limit", "available", "used", "time-unit", "expiry-time", "interval"};
  static const char* const k_families[] = {"x-keap-product-quota-", "x-keap-product-throttle-",
                                           "x-keap-tenant-throttle-"};
  size_t index = 0, start = 0;
  while (start < input.size() && index < 18) {
    auto end = input.find('\n', start);
    auto value = input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    headers.emplace_back(std::string(k_families[index / 6]) + k_names[index % 6], std::string(value));
    ++index;
    start = end == std::string_view::npos ? input.size() : end + 1;
  }
  auto limits = api::parse_rate_limits(headers);
  (void)api::describe_rate_limits(limits);
  if (const auto* tightest = limits.tightest()) {
    auto left = *tightest->fraction_left();
    require(left >= 0 && left <= 1);
  }
  auto back = api::rate_limits_from_json(util::parse_json(util::dump_json(api::rate_limits_json(limits))));
  require(back && api::describe_rate_limits(*back) == api::describe_rate_limits(limits));
}

/// The emulator's REST API given any body, path and query: always an answer.
void emulator_rest(std::string_view input) {
  static emulator::State oauth([] {
    emulator::Settings settings;
    settings.client_id = "fuzz";
    settings.client_secret = "fuzz-secret";
    return settings;
  }());
  // A fresh API each time: its request log, contacts and quota would otherwise grow for the whole run.
  emulator::RestSettings settings;
  settings.contacts = 20;
  emulator::RestApi rest(oauth, settings);
  auto newline = input.find('\n');
  std::string target(input.substr(0, newline));
  std::string body(newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1));
  auto question = target.find('?');
  static const char* const k_methods[] = {"GET", "POST", "PATCH", "DELETE"};
  emulator::ApiCall call;
  call.method = k_methods[body.size() % 4];
  call.path = target.substr(0, question);
  call.query = question == std::string::npos ? "" : target.substr(question + 1);
  call.headers = {{"X-Keap-API-Key", rest.personal_access_token()},
                  {"Content-Length", std::to_string(body.size())},
                  {"Content-Type", "application/json"}};
  call.body = body;
  auto reply = rest.handle(call, util::TimePoint{std::chrono::seconds{1'800'000'000}});
  require(reply.reset || (reply.status >= 200 && reply.status < 600));
}

/// The first byte of an input says how it is cut into the pieces a socket might deliver.
std::vector<std::string_view> pieces_of(std::string_view input) {
  std::vector<std::string_view> pieces;
  size_t size = input.empty() ? 1 : size_t{static_cast<unsigned char>(input.front())} % 61 + 1;
  for (auto rest = input.empty() ? input : input.substr(1); !rest.empty();
       rest.remove_prefix(std::min(size, rest.size()))) {
    pieces.push_back(rest.substr(0, size));
  }
  return pieces;
}

/// Requests as a server reads them, in any pieces, pipelined: never a crash, never past a limit, and a
/// refusal is always a status the server can send.
void http_request(std::string_view input) {
  net::ServerLimits limits;
  limits.header_bytes = 1024;
  limits.header_lines = 12;
  limits.target_bytes = 256;
  limits.body_bytes = 2048;
  std::optional<net::RequestReader> reader(std::in_place, limits);
  std::string buffered;
  for (auto piece : pieces_of(input)) {
    buffered.append(piece);
    for (;;) {
      auto progress = reader->feed(buffered);
      if (progress == net::RequestReader::Progress::refused) {
        require(reader->refusal().first >= 400 && reader->refusal().first <= 505);
        return;
      }
      if (progress == net::RequestReader::Progress::more) {
        break;
      }
      auto request = reader->take();
      require(!request.method.empty() && request.target.size() <= limits.target_bytes);
      require(request.headers.size() <= limits.header_lines && request.body.size() <= limits.body_bytes);
      require(request.target ==
              request.path + (request.target.find('?') == std::string::npos ? "" : "?" + request.query));
      reader.emplace(limits); // the next request of a pipelining client
    }
  }
}

/// Responses as the client reads them, in any pieces, kept or streamed to a sink: never a crash, never
/// past a limit.
void http_response(std::string_view input) {
  net::ResponseReader::Limits limits{1024, 12, 2048};
  for (bool streamed : {false, true}) {
    size_t streamed_bytes = 0;
    net::ResponseReader::BodySink sink;
    if (streamed) {
      sink = [&streamed_bytes](std::string_view piece) {
        streamed_bytes += piece.size();
        return streamed_bytes < 4096;
      };
    }
    net::ResponseReader reader(limits, !input.empty() && input.front() == 'H', sink);
    std::string buffered;
    auto progress = net::ResponseReader::Progress::more;
    for (auto piece : pieces_of(input)) {
      buffered.append(piece);
      progress = reader.feed(buffered);
      if (progress != net::ResponseReader::Progress::more) {
        break;
      }
    }
    if (progress == net::ResponseReader::Progress::more) {
      progress = reader.end_of_input();
    }
    if (progress == net::ResponseReader::Progress::complete) {
      require(reader.head_done() && reader.headers().size() <= limits.header_lines);
      auto response = reader.take();
      require(response.body.size() <= limits.body_bytes && (!streamed || response.body.empty()));
    } else {
      require(progress == net::ResponseReader::Progress::failed && !reader.failure().second.empty());
    }
  }
}

/// multipart/form-data bodies as the emulator reads uploads.
void multipart(std::string_view input) {
  auto newline = input.find('\n');
  auto type = input.substr(0, newline);
  auto body = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  auto boundary = emulator::multipart_boundary(type).value_or("b");
  if (auto parts = emulator::parse_multipart(body, boundary)) {
    for (const auto& [name, part] : *parts) {
      require(part.second.size() <= body.size() && name.size() <= body.size());
    }
  }
}

void key_file(std::string_view input) {
  try {
    auto keyring = pgstore::Keyring::parse(input, "fuzz");
    require(keyring.active().active && keyring.active().bytes.size() == 32);
    for (const auto& key : keyring.keys()) {
      require(keyring.find(key.id) == &key);
    }
  } catch (const Error& error) {
    require(error.code() == ExitCode::usage);
  }
}

/// A blob from the database (or a journal): it opens only when it is what seal() made for this row.
void sealed(std::string_view input) {
  static const auto keyring = pgstore::Keyring::parse("k1 " + base64(std::string(32, 'k')) + " active\n", "fuzz");
  const pgstore::SealContext context{std::string(16, 's'), "default", 7};
  try {
    (void)pgstore::open_sealed(input, keyring, context);
    require(false); // nothing but a seal of ours opens, and no input here is one
  } catch (const Error& error) {
    require(error.code() == ExitCode::failure || error.code() == ExitCode::usage);
  }
  auto blob = pgstore::seal(input, keyring.active(), context);
  require(pgstore::open_sealed(blob, keyring, context) == input);
  require(pgstore::key_id_of(blob) == "k1");
  try {
    (void)pgstore::open_sealed(blob, keyring, {context.store_id, context.profile, 8});
    require(false);
  } catch (const Error& error) {
    require(error.code() == ExitCode::failure);
  }
}

void journal(std::string_view input) {
  auto entry = pgstore::parse_journal(input);
  if (entry) {
    require(entry->to_generation == entry->from_generation + 1 && entry->params.size() == 21 && !entry->sealed.empty());
  }
}

void token_cache(std::string_view input) {
  auto cached = store::parse_token_cache(input);
  if (cached) {
    require(!cached->access_token.empty() && cached->generation >= 0);
    require(cached->access_token.find_first_of(" \n\r\t") == std::string::npos);
  }
}

} // namespace

/// A request to the agent: read by the server's reader, then what its endpoints parse of it (the query
/// of /v1/token, the body of /v1/token/rejected).
void agent_request(std::string_view input) {
  net::ServerLimits limits; // the agent's own
  net::RequestReader reader(limits);
  std::string buffered(input);
  if (reader.feed(buffered) != net::RequestReader::Progress::complete) {
    return;
  }
  auto request = reader.take();
  if (auto query = agent::parse_token_query(request.query)) {
    require(!query->profile || is_profile_name(*query->profile));
    require(query->min_valid.count() >= 0);
  }
  if (auto body = agent::parse_rejected_body(request.body)) {
    require(util::is_visible_ascii(body->token));
  }
}

/// A request the agent proxies to Keap: the server's reader, then the proxy's checks and the headers it
/// forwards. Whatever comes in, no credential, hop-by-hop header or framing header of the caller's goes
/// on, and a request the checks pass has no body on GET, HEAD or DELETE.
void proxy_request(std::string_view input) {
  net::ServerLimits limits;
  limits.body_bytes = 1 << 20;
  net::RequestReader reader(limits);
  std::string buffered(input);
  if (reader.feed(buffered) != net::RequestReader::Progress::complete) {
    return;
  }
  auto request = reader.take();
  auto problem = agent::request_problem(request);
  if (!problem && (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE")) {
    require(request.body.empty());
  }
  int removed = 0;
  auto hop_free = [](const net::Headers& headers) {
    for (const auto& [name, value] : headers) {
      for (const char* banned : {"Connection", "Transfer-Encoding", "Upgrade", "Keep-Alive", "TE", "Trailer"}) {
        require(!net::same_token(name, banned));
      }
    }
  };
  auto forwarded = agent::forwarded_request_headers(request.headers, removed);
  hop_free(forwarded);
  for (const auto& [name, value] : forwarded) {
    for (const char* banned : {"Authorization", "X-Keap-API-Key", "Host", "Content-Length", "Keap-Profile"}) {
      require(!net::same_token(name, banned));
    }
  }
  hop_free(agent::forwarded_response_headers(request.headers));
}

/// A config file's "agent" object, as `keap-auth agent` reads it.
void agent_settings(std::string_view input) {
  Config config;
  config.agent = util::parse_json(input);
  if (!config.agent.is_object()) {
    return;
  }
  try {
    auto settings = agent::read_settings(config, {}, [](const char* name) -> std::optional<std::string> {
      return std::string(name) == "XDG_RUNTIME_DIR" ? std::optional<std::string>("/run/user/1000") : std::nullopt;
    });
    require(!settings.listen.empty());
    for (const auto& listen : settings.listen) {
      require(listen.kind == agent::Listen::Kind::unix_socket || util::is_loopback_host(listen.host));
    }
  } catch (const Error& error) {
    require(error.code() == ExitCode::usage);
  }
}

const std::vector<Target>& targets() {
  static const std::vector<Target> k_targets{
      {"callback", callback},
      {"url", url},
      {"token_response", token_response},
      {"credentials", credentials},
      {"config", config},
      {"durations", durations},
      {"pending", pending},
      {"emulator_requests", emulator_requests},
      {"retry_after", retry_after},
      {"api_fields", api_fields},
      {"api_pages", api_pages},
      {"rate_limits", rate_limits},
      {"emulator_rest", emulator_rest},
      {"key_file", key_file},
      {"sealed", sealed},
      {"journal", journal},
      {"token_cache", token_cache},
      {"http_request", http_request},
      {"http_response", http_response},
      {"multipart", multipart},
      {"agent_request", agent_request},
      {"agent_settings", agent_settings},
      {"proxy_request", proxy_request},
  };
  return k_targets;
}

} // namespace keap::fuzz
