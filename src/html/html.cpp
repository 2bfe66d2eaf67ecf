#include "html/html.hpp"

#include "html/templates.hpp"

namespace keap::html {

std::string html_escape(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      result += "&amp;";
      break;
    case '<':
      result += "&lt;";
      break;
    case '>':
      result += "&gt;";
      break;
    case '"':
      result += "&quot;";
      break;
    case '\'':
      result += "&#39;";
      break;
    default:
      result += c;
    }
  }
  return result;
}

std::string render_template(std::string_view page, const TemplateValues& values) {
  std::string result;
  for (;;) {
    auto open = page.find("{{");
    auto close = open == std::string_view::npos ? open : page.find("}}", open + 2);
    if (close == std::string_view::npos) {
      result += page;
      return result;
    }
    result += page.substr(0, open);
    auto name = page.substr(open + 2, close - open - 2);
    for (const auto& [key, value] : values) {
      if (key == name) {
        result += html_escape(value);
        break;
      }
    }
    page.remove_prefix(close + 2);
  }
}

HeaderList page_headers(bool allow_form_redirects) {
  std::string policy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";
  if (!allow_form_redirects) {
    policy += "; form-action 'none'";
  }
  return {{"Cache-Control", "no-store"},         {"Pragma", "no-cache"},      {"Referrer-Policy", "no-referrer"},
          {"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "DENY"}, {"Content-Security-Policy", policy}};
}

std::string error_page(const std::string& title, const std::string& message, const std::string& hint) {
  return render_template(templates::k_error_html, {{"title", title}, {"message", message}, {"hint", hint}});
}

} // namespace keap::html
