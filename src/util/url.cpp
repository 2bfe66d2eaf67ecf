#include "util/url.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace keap::util {

namespace {

int default_port(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

bool is_unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool valid_host(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
  });
}

} // namespace

std::string Url::authority() const {
  std::string result = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (explicit_port || port != default_port(scheme)) {
    result += ":" + std::to_string(port);
  }
  return result;
}

std::string Url::origin() const { return scheme + "://" + authority(); }

std::string Url::to_string() const { return origin() + path + (query.empty() ? "" : "?" + query); }

std::optional<Url> parse_url(std::string_view text) {
  // A blank or a control byte has no place in a URL, and in a request line it would end the line.
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return std::nullopt;
  }
  Url url;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  url.scheme = lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return std::nullopt;
  }
  auto rest = text.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos) {
    return std::nullopt; // RFC 6749 3.1.2: a redirection endpoint has no fragment
  }
  auto authority_end = rest.find_first_of("/?");
  auto authority = rest.substr(0, authority_end);
  auto after = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return std::nullopt; // credentials in URLs end up in logs and process lists
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    url.host = lower(authority.substr(1, close - 1));
    if (url.host.empty() || url.host.find_first_not_of("0123456789abcdef:.") != std::string::npos) {
      return std::nullopt;
    }
    auto tail = authority.substr(close + 1);
    if (!tail.empty() && tail.front() != ':') {
      return std::nullopt;
    }
    port_text = tail.empty() ? tail : tail.substr(1);
    url.explicit_port = !tail.empty();
  } else {
    auto colon = authority.find(':');
    url.host = lower(authority.substr(0, colon));
    if (!valid_host(url.host)) {
      return std::nullopt;
    }
    url.explicit_port = colon != std::string_view::npos;
    port_text = url.explicit_port ? authority.substr(colon + 1) : std::string_view{};
  }
  url.port = default_port(url.scheme);
  if (url.explicit_port) {
    auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), url.port);
    if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() || url.port < 0 ||
        url.port > 65535) {
      return std::nullopt;
    }
  }
  auto question = after.find('?');
  url.path = std::string(after.substr(0, question));
  if (url.path.empty()) {
    url.path = "/";
  }
  if (question != std::string_view::npos) {
    url.query = std::string(after.substr(question + 1));
  }
  return url;
}

bool keeps_secrets_private(const Url& url) { return url.scheme == "https" || is_loopback_host(url.host); }

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" ||
         (host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string_view::npos);
}

std::string percent_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string result;
  result.reserve(text.size());
  for (char raw : text) {
    auto c = static_cast<unsigned char>(raw);
    if (is_unreserved(c)) {
      result += static_cast<char>(c);
    } else {
      result += '%';
      result += k_hex[c >> 4];
      result += k_hex[c & 15];
    }
  }
  return result;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      result += ' ';
    } else if (text[i] != '%') {
      result += text[i];
    } else {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
        return std::nullopt;
      }
      result += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return result;
}

std::string form_encode(const Parameters& parameters) {
  std::string result;
  for (const auto& [name, value] : parameters) {
    if (!result.empty()) {
      result += '&';
    }
    result += percent_encode(name) + "=" + percent_encode(value);
  }
  return result;
}

std::optional<Parameters> parse_form(std::string_view text) {
  Parameters result;
  while (!text.empty()) {
    auto amp = text.find('&');
    auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    auto equals = pair.find('=');
    auto name = percent_decode(pair.substr(0, equals));
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1));
    if (!name || !value) {
      return std::nullopt;
    }
    result.emplace_back(std::move(*name), std::move(*value));
  }
  return result;
}

std::optional<std::string> find_parameter(const Parameters& parameters, std::string_view name) {
  for (const auto& [key, value] : parameters) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::string parameter_or_empty(const Parameters& parameters, std::string_view name) {
  return find_parameter(parameters, name).value_or("");
}

} // namespace keap::util
