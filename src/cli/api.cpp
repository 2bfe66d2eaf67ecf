// `keap-auth api`: Keap's REST API called right the first time, with the credential the store holds.
#include "api/api_client.hpp"
#include "api/endpoint.hpp"
#include "api/error_body.hpp"
#include "api/fields.hpp"
#include "api/pagination.hpp"
#include "api/upload.hpp"
#include "cli/api_output.hpp"
#include "cli/commands.hpp"
#include "cli/input.hpp"
#include "cli/output.hpp"
#include "net/crypto.hpp"
#include "net/http_status.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <filesystem>

namespace keap::cli {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// The largest body `api` sends (a file to upload included), and the largest answer it reads.
constexpr size_t k_largest_body = 64 * 1024 * 1024;

std::string read_input(const std::string& path, const char* what) {
  if (path == "-") {
    return read_stdin(what, k_largest_body);
  }
  try {
    if (auto text = util::read_regular_file(path, k_largest_body)) {
      return *text;
    }
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string(what) + ": " + error.what());
  }
  throw Error(ExitCode::usage, std::string(what) + ": " + path + " does not exist");
}

/// The user's -H headers; the credential's own headers and the framing ones are keap-auth's to set.
net::Headers user_headers(const ApiOptions& options) {
  net::Headers headers;
  for (const auto& text : options.headers) {
    auto header = api::parse_header_field(text);
    auto name = lower(header.first);
    if (name == "authorization" || name == "x-keap-api-key") {
      throw Error(ExitCode::usage,
                  "-H " + header.first +
                      ": keap-auth sends the credential itself, in the header its "
                      "kind needs, and never two of them",
                  "leave it out; `keap-auth login` stores the credential (or set KEAP_API_KEY for a key)");
    }
    if (name == "content-length" || name == "transfer-encoding" || name == "host") {
      throw Error(ExitCode::usage, "-H " + header.first + ": keap-auth sets it from the body it sends", "leave it out");
    }
    headers.push_back(std::move(header));
  }
  return headers;
}

std::string header_of(const net::Headers& headers, const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (lower(key) == name) {
      return value;
    }
  }
  return {};
}

/// The request as the command line describes it, checked before anything is sent.
api::ApiRequest build_request(const Context& context, const ApiOptions& options) {
  util::Parameters query;
  for (const auto& text : options.query) {
    query.push_back(api::parse_query_field(text));
  }
  api::ApiRequest request;
  request.url = api::resolve_endpoint(options.endpoint, *util::parse_url(context.config.api_base_url), query);
  request.headers = user_headers(options);
  std::vector<api::Field> fields;
  for (const auto& [typed, text] : options.fields) {
    fields.push_back({typed ? api::Field::Kind::typed : api::Field::Kind::string, text});
  }
  auto read_text = [](const std::string& path) { return read_input(path, "-F @FILE"); };
  auto given_type = header_of(request.headers, "content-type");
  if (options.upload) {
    auto content = read_input(*options.upload, "--upload");
    auto name = std::filesystem::path(*options.upload).filename().string();
    auto body = api::upload_body(request.url.path, name, content, api::build_body(fields, read_text),
                                 "keap-auth-" + net::random_url_safe(12));
    if (content.size() > api::k_large_v1_file && request.url.path.ends_with("/v1/files")) {
      context.warn("the file is larger than 8 MB: Keap says v1 files that large may fail to download; v2/files "
                   "takes them");
    }
    request.body = std::move(body.content);
    request.content_type = body.content_type;
  } else if (options.input) {
    request.body = read_input(*options.input, "--input");
    request.content_type = given_type.empty() ? "application/json" : "";
    auto type = given_type.empty() ? request.content_type : lower(given_type);
    bool text = type.find("json") != std::string::npos || type.starts_with("text/") ||
                type.starts_with("application/x-www-form-urlencoded");
    if (auto offset = util::invalid_utf8_offset(request.body); text && offset) {
      auto file = *options.input == "-" ? std::string("FILE") : *options.input;
      throw Error(ExitCode::usage,
                  "--input: the body is not valid UTF-8 at byte " + std::to_string(*offset + 1) + "; nothing was sent",
                  "Keap takes only UTF-8: convert the text first, for example `iconv -f latin1 -t utf-8 " + file +
                      " > " + file + ".utf8` (if it was Latin-1), and send that file");
    }
  } else if (!fields.empty()) {
    request.body = util::dump_json(api::build_body(fields, read_text));
    request.content_type = "application/json";
  }
  bool has_body = options.upload || options.input || !fields.empty();
  request.method = options.method ? lower(*options.method) : has_body ? "post" : "get";
  std::transform(request.method.begin(), request.method.end(), request.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (has_body && (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE")) {
    throw Error(ExitCode::usage,
                request.method + " with a body: Keap's front end refuses it with an HTML 400; nothing "
                                 "was sent",
                "query parameters go with -q KEY=VALUE; to send a body, use -X POST (or PUT, PATCH)");
  }
  if (header_of(request.headers, "accept").empty()) {
    request.headers.emplace_back("Accept", "application/json");
  }
  return request;
}

std::unique_ptr<api::Authenticator> authenticator_for(Context& context, const ApiOptions& options,
                                                     const api::ApiRequest& request) {
  auto credential = context.credential();
  context.check_destination("api_base_url", request.url, credential);
  if (const auto* key = std::get_if<ApiKey>(&credential)) {
    return std::make_unique<api::KeyAuthenticator>(*key);
  }
  return std::make_unique<api::OAuthAuthenticator>(*context.store, context.profile, *context.http,
                                                   context.refresh_settings(),
                                                   duration_value("--min-valid", options.min_valid, true));
}

/// The error a failed answer ends the command with: its exit code by cause, Keap's own words, and a
/// hint about what to check.
Error failure_cause(const api::ApiRequest& request, const api::ApiAnswer& answer, const api::Authenticator& auth) {
  const auto& response = answer.response;
  auto said = api::error_message(response.body);
  std::string what = request.method + " " + request.url.without_query() + " answered " +
                     net::describe_status(response.status) + (said ? ": " + *said : "");
  switch (net::classify_status(response.status)) {
  case net::StatusClass::unauthorized:
    if (auth.is_key()) {
      return Error(ExitCode::relogin, what + " (keap-auth sent " + auth.describe() + ")",
                   "Personal Access Tokens, Service Account Keys and OAuth tokens are not interchangeable: an OAuth "
                   "access token goes in Authorization: Bearer, a PAT or SAK in X-Keap-API-Key. Check that the key is "
                   "current, then store it again with `keap-auth login --api-key-file FILE`");
    }
    return Error(ExitCode::relogin, what + " even after a refresh (keap-auth sent " + auth.describe() + ")",
                 "run `keap-auth login` again; if it keeps happening, check that api_base_url is Keap's");
  case net::StatusClass::forbidden:
    return Error(ExitCode::api_refused, what,
                 "the credential is valid but may not do this (a Personal Access Token acts with its user's rights)");
  case net::StatusClass::rate_limited: {
    std::string resets;
    for (const auto& window : answer.rate_limits.windows) {
      if (window.name == "quota" && window.resets_at) {
        resets = "; the quota resets at " + util::format_rfc3339(*window.resets_at);
      }
    }
    return Error(ExitCode::rate_limited,
                 what + (answer.quota_exhausted ? " (the day's quota is used up" + resets + ")"
                                                : " (still, after " + std::to_string(answer.attempts) + " attempts)"),
                 answer.quota_exhausted ? "wait for the reset; OAuth quotas count per client id, key quotas per tenant"
                                        : "slow down, or raise --retry");
  }
  case net::StatusClass::server_error:
    return Error(ExitCode::unavailable, what + " (after " + std::to_string(answer.attempts) + " attempts)",
                 request.idempotent()
                     ? "try again later"
                     : "a POST or PATCH is not sent again unless --retry-unsafe: it may have been done");
  default:
    return Error(ExitCode::api_refused, what,
                 response.status == 404 ? "check the endpoint (v1/... and v2/... are under api_base_url)"
                 : said                 ? "Keap's message above says what it did not accept"
                                        : "Keap's front end refused it without a message of its own: that is how it "
                                          "answers a body that is not UTF-8, or framing it cannot read");
  }
}

/// The same, with the answer's body under the one-line summary: on stderr, because a script that
/// captures stdout must never mistake an error body for data.
Error failure_of(const ApiOptions& options, const api::ApiRequest& request, const api::ApiAnswer& answer,
                 const api::Authenticator& auth) {
  const auto& body = answer.response.body;
  return failure_cause(request, answer, auth)
      .with_details(body.empty() ? "" : "the answer's body:\n" + util::terminal_safe(body, 64 * 1024),
                    options.envelope);
}

/// One call, printed as the options say; returns its exit code.
int call_once(Context& context, const CommandLine& line, api::ApiClient& client, api::Authenticator& auth,
              const api::ApiRequest& request) {
  auto answer = client.send(request);
  remember_rate_limits(context, answer.rate_limits);
  bool success = net::classify_status(answer.response.status) == net::StatusClass::success;
  print_answer(context, line.api, answer, success);
  if (!success) {
    throw failure_of(line.api, request, answer, auth);
  }
  return 0;
}

/// --paginate: every page, one merged document or one item per line.
int call_paginated(Context& context, const CommandLine& line, api::ApiClient& client, api::Authenticator& auth,
                   api::ApiRequest request) {
  const auto& options = line.api;
  api::Paginator pages(api::with_page_size(request.url));
  request.url = pages.current();
  nlohmann::ordered_json merged;
  api::PageShape first_shape;
  long long page_count = 0, item_count = 0;
  for (;;) {
    auto answer = client.send(request);
    remember_rate_limits(context, answer.rate_limits);
    if (net::classify_status(answer.response.status) != net::StatusClass::success) {
      print_answer(context, options, answer, false);
      throw failure_of(line.api, request, answer, auth);
    }
    auto body = util::parse_ordered_json(answer.response.body);
    auto shape = page_count == 0 ? api::page_shape(body, request.url.path) : api::later_page_shape(body, first_shape);
    if (page_count == 0) {
      first_shape = shape;
    }
    if (shape.style == api::PageStyle::none) {
      if (page_count == 0) { // not a list: print it as a plain call would
        print_answer(context, options, answer, true);
        return 0;
      }
      throw Error(ExitCode::api_refused, "page " + std::to_string(page_count + 1) + " of " +
                                             request.url.without_query() + " is not a list like the first");
    }
    auto next = pages.next(body, shape);
    ++page_count;
    auto stop = print_page(options, body, shape, merged, page_count == 1, item_count);
    if (stop) {
      context.warn(*stop);
      break;
    }
    if (!next) {
      break;
    }
    if (options.max_pages && page_count >= *options.max_pages) {
      context.warn("stopped after " + std::to_string(page_count) + " pages (--max-pages); there are more");
      break;
    }
    request.url = *next;
  }
  if (!options.items) {
    print_document(options, merged);
  }
  return 0;
}

} // namespace

int run_api(const CommandLine& line) {
  const auto& options = line.api;
  auto context = open_context(line.global);
  auto request = build_request(context, options);
  if (options.paginate && request.method != "GET") {
    throw Error(ExitCode::usage, "--paginate follows lists, which are GETs; this is a " + request.method);
  }
  auto auth = authenticator_for(context, options, request);
  if (options.dry_run) {
    print_stdout(curl_command(line, context, request, auth->describe(), auth->is_key()));
    return 0;
  }
  net::HttpOptions http = context.http->options();
  http.max_body = k_largest_body; // a page of a thousand contacts, or a file
  net::HttpClient api_http(http);
  api::ApiClient client(api_http, *auth, {options.retry, options.retry_unsafe, std::chrono::seconds(60)});
  return options.paginate ? call_paginated(context, line, client, *auth, request)
                          : call_once(context, line, client, *auth, request);
}

} // namespace keap::cli
