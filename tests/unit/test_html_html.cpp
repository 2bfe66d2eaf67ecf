#include "html/html.hpp"
#include "html/templates.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::html;

TEST_CASE("html::html: escaping covers text and attributes", "[html]") {
  REQUIRE(html_escape("<a href=\"x\" onclick='y'>&</a>") ==
          "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
}

TEST_CASE("html::html: templates render escaped values and never raw placeholders", "[html]") {
  REQUIRE(render_template("<p>{{message}}</p>{{unknown}}", {{"message", "<b>hi</b>"}}) ==
          "<p>&lt;b&gt;hi&lt;/b&gt;</p>");
  REQUIRE(render_template("{{a}}{{a}} {{", {{"a", "1"}}) == "11 {{");
  auto page = render_template(templates::k_error_html, {{"title", "T<"}, {"message", "M"}, {"hint", "H"}});
  REQUIRE(page.find("{{") == std::string::npos);
  REQUIRE(page.find("T&lt;") != std::string::npos);
  REQUIRE(page.find("close this tab") != std::string::npos);
  REQUIRE(templates::k_success_html.find("You can close this tab") != std::string_view::npos);
  REQUIRE(templates::k_consent_html.find("id=\"allow\"") != std::string_view::npos);
  REQUIRE(error_page("T", "M").find("{{") == std::string::npos);
}

TEST_CASE("html::html: pages are not cached, leak no referrer and run no scripts", "[html]") {
  auto headers = page_headers();
  auto value = [&](const std::string& name) {
    for (const auto& [key, text] : headers) {
      if (key == name) {
        return text;
      }
    }
    return std::string{};
  };
  REQUIRE(value("Cache-Control") == "no-store");
  REQUIRE(value("Referrer-Policy") == "no-referrer");
  REQUIRE(value("Content-Security-Policy").starts_with("default-src 'none'"));
  REQUIRE(value("Content-Security-Policy").find("form-action 'none'") != std::string::npos);
  REQUIRE(value("Access-Control-Allow-Origin").empty());
}
