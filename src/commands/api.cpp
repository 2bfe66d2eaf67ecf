// `keap-auth api`: Keap's REST API called right the first time, with the credential the store holds:
// the request built from the command line and checked before anything is sent, the answer printed as
// asked (bodies, headers, envelopes, pages), and --dry-run's curl script.
#include "api/api_client.hpp"
#include "api/endpoint.hpp"
#include "api/error_body.hpp"
#include "api/fields.hpp"
#include "api/pagination.hpp"
#include "api/upload.hpp"
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "cli/input.hpp"
#include "cli/remembered_limits.hpp"
#include "core/config_keys.hpp"
#include "net/crypto.hpp"
#include "net/http_status.hpp"
#include "term/output.hpp"
#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>

#include <unistd.h>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

using Json = nlohmann::ordered_json;

/// `api`'s request, as the command line gave it.
struct ApiOptions {
  std::string endpoint;
  std::optional<std::string> method;
  std::vector<std::string> query;                   ///< -q KEY=VALUE
  std::vector<std::pair<bool, std::string>> fields; ///< -f (false) and -F (true), in command-line order
  std::vector<std::string> headers;                 ///< -H 'Name: value'
  std::optional<std::string> input;                 ///< --input FILE or -
  std::optional<std::string> upload;                ///< --upload FILE
  bool paginate = false;
  bool items = false;
  std::optional<long long> max_pages;
  std::optional<long long> max_items;
  bool include = false;
  bool silent = false;
  bool envelope = false;
  bool dry_run = false;
  std::optional<std::string> output;
  int retry = 3;
  bool retry_unsafe = false;
  std::string min_valid = "5m";
};

void define(CLI::App& api, ApiOptions& options, GlobalOptions& global) {
  api.add_option("endpoint", options.endpoint, "v1/..., v2/... (under api_base_url), or an https URL on its host")
      ->required()
      ->type_name("ENDPOINT");
  api.add_option("-X,--method", options.method, "The method (default GET, or POST when a body is given)")
      ->type_name("METHOD")
      ->check(CLI::IsMember({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, CLI::ignore_case));
  // One value per flag, so `-q limit=5 v1/contacts` leaves the endpoint alone. Here -q is --query: the
  // global --quiet keeps its long name.
  api.add_option("-q,--query", options.query, "A query parameter KEY=VALUE (repeatable; --quiet is spelled out here)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  // -f and -F keep their command-line order between them: it decides how arrays fill.
  api.add_option_function<std::string>(
         "-f,--raw-field", [&options](const std::string& value) { options.fields.emplace_back(false, value); },
         "A string field KEY=VALUE of the JSON body; KEY[SUB]= and KEY[]= nest (repeatable)")
      ->type_name("KEY=VALUE")
      ->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  api.add_option_function<std::string>(
         "-F,--field", [&options](const std::string& value) { options.fields.emplace_back(true, value); },
         "A typed field: true, false, null and numbers become JSON, @FILE and @- read text, KEY:=JSON (repeatable)")
      ->type_name("KEY=VALUE")
      ->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  api.add_option("-H,--header", options.headers, "An extra header 'Name: value' (repeatable)")
      ->type_name("HEADER")
      ->allow_extra_args(false);
  add_text(api, "--input", options.input, "The raw request body from FILE, or - for stdin", "FILE");
  add_text(api, "--upload", options.upload, "Upload FILE: the body v1/files or v2/files wants", "FILE");
  api.add_flag("--paginate", options.paginate, "Fetch every page of a list (GET) and print one document");
  api.add_flag("--items", options.items, "With --paginate: one item per line, as the pages come (constant memory)");
  api.add_option("--max-pages", options.max_pages, "With --paginate: stop after N pages")->check(CLI::PositiveNumber);
  api.add_option("--max-items", options.max_items, "With --paginate: stop after N items")->check(CLI::PositiveNumber);
  api.add_flag("-i,--include", options.include, "Print the status line and the headers before the body");
  api.add_flag("--silent", options.silent, "Print no body");
  api.add_flag("--envelope", options.envelope,
               "Print one JSON object: status, headers, body, rate limits, attempts, whether a refresh happened");
  api.add_flag("--dry-run", options.dry_run, "Print the equivalent curl command and send nothing");
  add_text(api, "-o,--output", options.output,
           "Write the body to FILE (atomically, 0600); - prints it exactly as it came, even to a terminal", "FILE");
  api.add_option("--retry", options.retry, "Attempts after a 429, a 502/503/504 or a failed connection (default 3)")
      ->check(CLI::Range(0, 10));
  api.add_flag("--retry-unsafe", options.retry_unsafe,
               "Also retry POST and PATCH after a 502/503/504 or a lost answer");
  api.add_option("--min-valid", options.min_valid, "Refresh an OAuth token first if it expires within DUR (default 5m)")
      ->type_name("DUR")
      ->check(duration_check(false));
  add_config_flag(api, global, "lock_timeout");
}

const std::vector<Rule<ApiOptions>>& rules() {
  static const std::vector<Rule<ApiOptions>> k_rules{
      {[](const ApiOptions& options, const GlobalOptions&) {
         int bodies =
             (options.input ? 1 : 0) + (options.upload ? 1 : 0) + (!options.fields.empty() && !options.upload ? 1 : 0);
         return bodies > 1;
       },
       "--input, --upload and fields each make the whole body; give one of them",
       "--upload takes fields for the upload's own parts (-F contact_id=...)"},
      {[](const ApiOptions& options, const GlobalOptions&) {
         return (options.items || options.max_pages || options.max_items) && !options.paginate;
       },
       "--items, --max-pages and --max-items go with --paginate", "add --paginate"},
  };
  return k_rules;
}

// The answer, printed.

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

/// True when -o - asks for the body exactly as it came, terminal or not.
bool raw_to_stdout(const ApiOptions& options) { return options.output && *options.output == "-"; }

/// What may reach a terminal: text without a control sequence a server could slip in (it would move
/// the cursor, retitle the window, or worse). A binary body is refused, as curl does: it would garble
/// the terminal, and a person who wants it anyway says -o - (or -o FILE).
std::string for_terminal(const std::string& text) {
  if (text.find('\0') != std::string::npos || util::invalid_utf8_offset(text)) {
    throw Error(ExitCode::failure,
                "the answer is binary (" + std::to_string(text.size()) +
                    " bytes) and would garble the terminal, so it was not printed",
                "write it to a file with -o FILE, or print it anyway with -o -");
  }
  return util::terminal_safe(text, text.size());
}

/// JSON pretty for a person at a terminal, and nothing a server sent that could act on the terminal;
/// anything else exactly as Keap sent it.
std::string presentable(const std::string& body) {
  if (!stdout_is_terminal()) {
    return body;
  }
  auto json = util::parse_ordered_json(body);
  return for_terminal(json.is_discarded() ? body : util::dump_json(json, 2));
}

void write_output_file(const std::string& path, const std::string& content) {
  try {
    util::write_file_atomically(path, content);
  } catch (const util::FileError& error) {
    throw Error(ExitCode::failure, std::string("-o: ") + error.what(), "check the folder and its permissions");
  }
}

std::string status_and_headers(const net::HttpResponse& response) {
  auto headers = response.headers;
  std::sort(headers.begin(), headers.end());
  std::string text = "HTTP/1.1 " + net::describe_status(response.status).substr(5) + "\n";
  for (const auto& [name, value] : headers) {
    text += name + ": " + value + "\n";
  }
  return text + "\n";
}

Json envelope(const api::ApiAnswer& answer) {
  Json headers = Json::object();
  for (const auto& [name, value] : answer.response.headers) {
    headers[name] = headers.contains(name) ? Json(headers[name].get<std::string>() + ", " + value) : Json(value);
  }
  auto body = util::parse_ordered_json(answer.response.body);
  Json body_json = answer.response.body.empty() ? Json(nullptr)
                   : body.is_discarded()        ? Json(answer.response.body)
                                                : body;
  return {{"schema", 1},
          {"status", answer.response.status},
          {"headers", headers},
          {"body", body_json},
          {"rate_limits", api::rate_limits_json(answer.rate_limits)},
          {"attempts", answer.attempts},
          {"refreshed", answer.refreshed}};
}

std::string quoted(const std::string& text) {
  std::string result = "'";
  for (char c : text) {
    result += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return result + "'";
}

/// The command that prints the credential, as this run would find it.
std::string credential_command(const GlobalOptions& global, const Context& context) {
  std::string command = global.program.find('/') != std::string::npos ? quoted(global.program) : "keap-auth";
  command += " token";
  if (!context.config.config_file.empty()) {
    command += " --config " + quoted(util::absolute_path(context.config.config_file));
  }
  if (global.config.find("credentials_file")) {
    command += " --credentials " + quoted(context.credentials_path());
  }
  if (context.profile != k_default_profile) {
    command += " --profile " + quoted(context.profile); // KEAP_PROFILE may not be set where it runs
  }
  return command;
}

/// `text` as a double-quoted string of curl's config syntax.
std::string curl_quoted(const std::string& text) {
  std::string result = "\"";
  for (char c : text) {
    switch (c) {
    case '\\':
      result += "\\\\";
      break;
    case '"':
      result += "\\\"";
      break;
    case '\n':
      result += "\\n";
      break;
    case '\r':
      result += "\\r";
      break;
    case '\t':
      result += "\\t";
      break;
    default:
      result += c;
    }
  }
  return result + "\"";
}

/// The answer on stdout as the options ask (-i, --silent, -o, --envelope; pretty JSON at a terminal,
/// byte for byte otherwise, nothing for an empty body). A failed answer prints only its envelope: its
/// body goes to stderr with the error (see failure_of).
void print_answer(const Context& context, const ApiOptions& options, const api::ApiAnswer& answer, bool success) {
  const auto& response = answer.response;
  if (options.envelope) {
    print_stdout(util::dump_json(envelope(answer), 2));
  }
  if (context.verbose && !answer.rate_limits.empty()) {
    context.say("rate limits: " + api::describe_rate_limits(answer.rate_limits));
  }
  if (!success || options.envelope || options.silent) {
    return;
  }
  if (raw_to_stdout(options)) {
    print_stdout((options.include ? status_and_headers(response) : "") + response.body);
    return;
  }
  if (options.output) {
    write_output_file(*options.output, response.body);
    context.say("wrote " + std::to_string(response.body.size()) + " bytes to " + *options.output);
    return;
  }
  std::string text = options.include ? status_and_headers(response) : "";
  if (stdout_is_terminal()) {
    text = util::terminal_safe(text, text.size());
  }
  if (!response.body.empty()) {
    auto body = presentable(response.body);
    text += body;
    if (stdout_is_terminal() && !body.ends_with("\n")) {
      text += "\n";
    }
  }
  if (!text.empty()) {
    print_stdout(text);
  }
}

/// One page of a --paginate listing: printed item by item (--items), or merged into `merged`. Returns a
/// warning when --max-items stops the listing.
std::optional<std::string> print_page(const ApiOptions& options, Json& page, const api::PageShape& shape, Json& merged,
                                      bool first, long long& items_printed) {
  auto& items = page[shape.items];
  if (options.max_items) {
    auto room = *options.max_items - items_printed;
    if (static_cast<long long>(items.size()) > room) {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(std::max(0LL, room)), items.end());
    }
  }
  items_printed += static_cast<long long>(items.size());
  if (options.items) {
    std::string lines;
    for (const auto& item : items) {
      lines += util::dump_json(item) + "\n";
    }
    if (stdout_is_terminal() && !raw_to_stdout(options)) {
      lines = for_terminal(lines);
    }
    if (!lines.empty() && !options.silent) {
      print_stdout(lines);
    }
  } else {
    api::merge_page(merged, std::move(page), shape, first);
  }
  if (options.max_items && items_printed >= *options.max_items) {
    return "stopped after " + std::to_string(items_printed) + " items (--max-items); there may be more";
  }
  return std::nullopt;
}

/// The merged listing, at the end (or to -o FILE).
void print_document(const ApiOptions& options, const Json& merged) {
  if (options.silent) {
    return;
  }
  auto text = stdout_is_terminal() ? util::dump_json(merged, 2) : util::dump_json(merged) + "\n";
  if (options.output && !raw_to_stdout(options)) {
    write_output_file(*options.output, text);
    return;
  }
  print_stdout(stdout_is_terminal() && !raw_to_stdout(options) ? for_terminal(text) : text);
}

/// The POSIX sh script that makes the same call with curl. The credential comes from `keap-auth token
/// --header` (with the same --config, --credentials and --profile; or $KEAP_API_KEY) and reaches curl,
/// with the body, through its config on stdin, so no secret is printed or put on any command line. A
/// comment line first names `credential_kind` ("an OAuth access token in Authorization: Bearer").
std::string curl_command(const GlobalOptions& global, const Context& context, const api::ApiRequest& request,
                         const std::string& credential_kind, bool key) {
  if (request.body.find('\0') != std::string::npos) {
    throw Error(ExitCode::usage, "--dry-run cannot print a body with NUL bytes as a shell command",
                "upload such files to v1/files (base64 JSON), or leave out --dry-run");
  }
  // POSIX sh. The credential reaches curl through its config on stdin (printf is a builtin), and the
  // body the same way: never on curl's command line, where every user of the machine could read it.
  std::string command = "# sends " + credential_kind + " (a POSIX sh script)\n";
  command += key && context.environment("KEAP_API_KEY")
                 ? "header=\"X-Keap-API-Key: $KEAP_API_KEY\"\n"
                 : "header=$(" + credential_command(global, context) + " --header) || exit\n";
  std::string config = "printf 'header = \"%s\"\\n' \"$header\"";
  if (!request.body.empty()) {
    config = "{ " + config + "; printf 'data-binary = %s\\n' " + quoted(curl_quoted(request.body)) + "; }";
  }
  command += config + " | curl --fail-with-body -sS -X " + request.method;
  for (const auto& [name, value] : request.headers) {
    command += " -H " + quoted(name + ": " + value);
  }
  if (!request.content_type.empty()) {
    command += " -H " + quoted("Content-Type: " + request.content_type);
  }
  return command + " -K - " + quoted(request.url.to_string()) + "\n";
}

// The call.

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
    auto name = util::lower(header.first);
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
    if (util::lower(key) == name) {
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
    auto type = given_type.empty() ? request.content_type : util::lower(given_type);
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
  request.method = options.method ? util::lower(*options.method) : has_body ? "post" : "get";
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
int call_once(Context& context, const ApiOptions& options, api::ApiClient& client, api::Authenticator& auth,
              const api::ApiRequest& request) {
  auto answer = client.send(request);
  remember_rate_limits(context, answer.rate_limits);
  bool success = net::classify_status(answer.response.status) == net::StatusClass::success;
  print_answer(context, options, answer, success);
  if (!success) {
    throw failure_of(options, request, answer, auth);
  }
  return 0;
}

/// --paginate: every page, one merged document or one item per line.
int call_paginated(Context& context, const ApiOptions& options, api::ApiClient& client, api::Authenticator& auth,
                   api::ApiRequest request) {
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
      throw failure_of(options, request, answer, auth);
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

int run(const ApiOptions& options, const GlobalOptions& global) {
  auto context = open_context(global);
  auto request = build_request(context, options);
  if (options.paginate && request.method != "GET") {
    throw Error(ExitCode::usage, "--paginate follows lists, which are GETs; this is a " + request.method);
  }
  auto auth = authenticator_for(context, options, request);
  if (options.dry_run) {
    print_stdout(curl_command(global, context, request, auth->describe(), auth->is_key()));
    return 0;
  }
  net::HttpOptions http = context.http->options();
  http.max_body = k_largest_body; // a page of a thousand contacts, or a file
  net::HttpClient api_http(http);
  api::ApiClient client(api_http, *auth, {options.retry, options.retry_unsafe, std::chrono::seconds(60)});
  return options.paginate ? call_paginated(context, options, client, *auth, request)
                          : call_once(context, options, client, *auth, request);
}

} // namespace

std::unique_ptr<Command> api_command() {
  return make_command<ApiOptions>({"api", "Call Keap's REST API with the stored credential (OAuth token or API key)",
                                   define, rules(), run, [](const ApiOptions& options) { return options.envelope; }});
}

} // namespace keap::commands
