#include "oauth/browser.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::oauth;
using Words = std::vector<std::string>;

TEST_CASE("oauth::browser: $BROWSER gets the URL appended or in place of %s", "[browser]") {
  REQUIRE(browser_command("", "http://x/?a=1&b=2") == Words{"xdg-open", "http://x/?a=1&b=2"});
  REQUIRE(browser_command("firefox", "U") == Words{"firefox", "U"});
  REQUIRE(browser_command("chromium --new-window", "U") == Words{"chromium", "--new-window", "U"});
  REQUIRE(browser_command("open-in %s --now", "U") == Words{"open-in", "U", "--now"});
  REQUIRE(browser_command("'/opt/My Browser/bin' \"--flag=a b\"", "U") ==
          Words{"/opt/My Browser/bin", "--flag=a b", "U"});
  // The URL is never interpreted by a shell: its & and ; stay inside one argument.
  REQUIRE(browser_command("b", "http://x/?a=1;rm -rf ~&b=$(id)") == Words{"b", "http://x/?a=1;rm -rf ~&b=$(id)"});
}
