#include "cli/api_output.hpp"

#include "cli/output.hpp"
#include "net/http_status.hpp"
#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"

#include <algorithm>

#include <unistd.h>

namespace keap::cli {

namespace {

using Json = nlohmann::ordered_json;

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
std::string token_command(const CommandLine& line, const Context& context) {
  std::string command = line.program.find('/') != std::string::npos ? quoted(line.program) : "keap-auth";
  command += " token";
  if (!context.config.config_file.empty()) {
    command += " --config " + quoted(util::absolute_path(context.config.config_file));
  }
  if (line.global.config.credentials_file) {
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

} // namespace

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

std::optional<std::pair<api::RateLimits, util::TimePoint>> remembered_rate_limits(const Context& context) {
  try {
    auto text = util::read_regular_file(context.store->local_file(context.profile, k_rate_limit_suffix));
    auto json = text ? util::parse_json(*text) : nlohmann::json();
    auto limits =
        json.is_object() && json.contains("windows") ? api::rate_limits_from_json(json["windows"]) : std::nullopt;
    auto at = json.is_object() ? util::parse_rfc3339(util::string_member(json, "at").value_or("")) : std::nullopt;
    if (limits && at) {
      return std::make_pair(*limits, *at);
    }
  } catch (const util::FileError&) {
  }
  return std::nullopt;
}

void remember_rate_limits(const Context& context, const api::RateLimits& limits) {
  if (limits.empty()) {
    return;
  }
  auto low = [](const api::RateLimits& state) {
    const auto* tightest = state.tightest();
    return tightest && *tightest->fraction_left() < 0.05;
  };
  auto before = remembered_rate_limits(context);
  if (low(limits) && !(before && low(before->first))) {
    const auto& tightest = *limits.tightest();
    context.warn("Keap's " + tightest.name + " limit is nearly used up: " + api::describe_rate_limits({{tightest}}));
  }
  Json state = {
      {"schema", 1}, {"at", util::format_rfc3339(util::now_seconds())}, {"windows", api::rate_limits_json(limits)}};
  try {
    auto path = context.store->local_file(context.profile, k_rate_limit_suffix);
    util::create_private_folders(util::folder_of(path));
    util::write_file_atomically(path, util::dump_json(state, 2));
  } catch (const util::FileError&) {
    // Only a convenience for `status`; the call itself went through.
  }
}

std::string curl_command(const CommandLine& line, const Context& context, const api::ApiRequest& request,
                         const std::string& credential_kind, bool key) {
  if (request.body.find('\0') != std::string::npos) {
    throw Error(ExitCode::usage, "--dry-run cannot print a body with NUL bytes as a shell command",
                "upload such files to v1/files (base64 JSON), or leave out --dry-run");
  }
  // POSIX sh. The credential reaches curl through its config on stdin (printf is a builtin), and the
  // body the same way: never on curl's command line, where every user of the machine could read it.
  std::string command = "# sends " + credential_kind + " (a POSIX sh script)\n";
  command += key && context.environment("KEAP_API_KEY") ? "header=\"X-Keap-API-Key: $KEAP_API_KEY\"\n"
                                                         : "header=$(" + token_command(line, context) +
                                                               " --header) || exit\n";
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

} // namespace keap::cli
