#include "emulator/multipart.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <cctype>

namespace keap::emulator {

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

/// A parameter of a header value (`name="file"; filename="a.pdf"`): quoted or a bare token.
std::optional<std::string> parameter(std::string_view value, std::string_view wanted) {
  size_t at = 0;
  while (at < value.size()) {
    auto semicolon = value.find(';', at);
    if (semicolon == std::string_view::npos) {
      return std::nullopt;
    }
    auto rest = trimmed(value.substr(semicolon + 1));
    auto equals = rest.find('=');
    if (equals == std::string_view::npos) {
      return std::nullopt;
    }
    auto name = util::lower(trimmed(rest.substr(0, equals)));
    auto tail = rest.substr(equals + 1);
    std::string text;
    size_t used = 0;
    if (!tail.empty() && tail.front() == '"') {
      size_t i = 1;
      for (; i < tail.size() && tail[i] != '"'; ++i) {
        if (tail[i] == '\\' && i + 1 < tail.size()) {
          ++i;
        }
        text += tail[i];
      }
      if (i >= tail.size()) {
        return std::nullopt; // an unterminated quote
      }
      used = i + 1;
    } else {
      used = std::min(tail.find(';'), tail.size());
      text = std::string(trimmed(tail.substr(0, used)));
    }
    if (name == wanted) {
      return text;
    }
    at = static_cast<size_t>(tail.data() - value.data()) + used;
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto type = util::lower(trimmed(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") {
    return std::nullopt;
  }
  auto boundary = parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    return std::nullopt;
  }
  return boundary;
}

std::optional<FormParts> parse_multipart(std::string_view body, std::string_view boundary) {
  std::string delimiter = "--" + std::string(boundary);
  if (!body.starts_with(delimiter)) {
    return std::nullopt;
  }
  FormParts parts;
  size_t at = delimiter.size();
  for (;;) {
    if (body.substr(at, 2) == "--") {
      return parts; // the closing delimiter
    }
    if (body.substr(at, 2) != "\r\n") {
      return std::nullopt;
    }
    at += 2;
    auto headers_end = body.find("\r\n\r\n", at);
    if (headers_end == std::string_view::npos) {
      return std::nullopt;
    }
    std::optional<std::string> name, filename;
    for (auto headers = body.substr(at, headers_end - at); !headers.empty();) {
      auto line_end = std::min(headers.find("\r\n"), headers.size());
      auto line = headers.substr(0, line_end);
      headers.remove_prefix(std::min(line_end + 2, headers.size()));
      auto colon = line.find(':');
      if (colon != std::string_view::npos && util::lower(trimmed(line.substr(0, colon))) == "content-disposition") {
        auto value = line.substr(colon + 1);
        name = parameter(value, "name");
        filename = parameter(value, "filename");
      }
    }
    auto content_start = headers_end + 4;
    auto next = body.find("\r\n" + delimiter, content_start);
    if (!name || next == std::string_view::npos) {
      return std::nullopt;
    }
    parts[*name] = {filename.value_or(""), std::string(body.substr(content_start, next - content_start))};
    at = next + 2 + delimiter.size();
  }
}

} // namespace keap::emulator
