#include "net/crypto.hpp"
#include "oauth/authorize_url.hpp"
#include "oauth/callback.hpp"
#include "oauth/pkce.hpp"
#include "util/encoding.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace keap;
using namespace keap::oauth;

TEST_CASE("oauth::pkce: S256 matches RFC 7636 appendix B", "[pkce]") {
  REQUIRE(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("oauth::pkce: state and verifier are 256-bit, URL-safe and fresh", "[state]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto request = new_authorization_request(true);
    REQUIRE(request.state.size() == 43);         // 32 bytes >= 128 bits
    REQUIRE(request.code_verifier.size() == 43); // RFC 7636: 43..128 characters
    REQUIRE(request.state.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
            std::string::npos);
    REQUIRE(seen.insert(request.state).second);
  }
  REQUIRE(new_authorization_request(false).code_verifier.empty());
}

TEST_CASE("oauth::authorize_url: carries every parameter, encoded, and keeps the endpoint's query", "[url]") {
  AuthorizationRequest request{"STATE", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"};
  auto url = authorize_url(*util::parse_url("https://accounts.infusionsoft.com/app/oauth/authorize"),
                           {"my id", "http://localhost:8765/callback", "full"}, request);
  REQUIRE(url == "https://accounts.infusionsoft.com/app/oauth/authorize?client_id=my%20id"
                 "&redirect_uri=http%3A%2F%2Flocalhost%3A8765%2Fcallback&response_type=code&scope=full&state=STATE"
                 "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
  auto with_query = authorize_url(*util::parse_url("https://idp.example/auth?tenant=7"),
                                  {"c", "http://localhost/", "full"}, {"S", ""});
  REQUIRE(with_query == "https://idp.example/auth?tenant=7&client_id=c&redirect_uri=http%3A%2F%2Flocalhost%2F"
                        "&response_type=code&scope=full&state=S");
}

TEST_CASE("oauth::callback: parsing", "[callback]") {
  auto success = parse_callback("code=GdRGbcuo&scope=full%7Cab123.infusionsoft.com&state=abc&iss=https%3A%2F%2Fx");
  REQUIRE(success.code == "GdRGbcuo");
  REQUIRE(success.state == "abc");
  REQUIRE_FALSE(success.problem);

  auto denied = parse_callback("state=&error=access_denied&error_uri=x&error_description=User+denied+access");
  REQUIRE(denied.state == "");
  REQUIRE(denied.error == "access_denied");
  REQUIRE(denied.error_description == "User denied access");
  REQUIRE(describe_callback_error(denied) ==
          "the authorization server answered error=access_denied (User denied access)");

  REQUIRE(parse_callback("code=a&code=b&state=s").problem);
  REQUIRE(parse_callback("code=a&state=s&state=t").problem);
  REQUIRE(parse_callback("code=%zz&state=s").problem);
  REQUIRE_FALSE(parse_callback("").state);
}

TEST_CASE("oauth::callback: pasted answers", "[callback]") {
  REQUIRE(parse_pasted_answer("  http://localhost:8765/callback?code=abc&state=s#frag \n").callback->code == "abc");
  REQUIRE(parse_pasted_answer("GdRGbcuo").code == "GdRGbcuo");
  REQUIRE(parse_pasted_answer("").problem);
  REQUIRE(parse_pasted_answer("not a code!").problem);
}

TEST_CASE("net::crypto: secrets compare whole", "[state]") {
  REQUIRE(net::same_secret("abc", "abc"));
  REQUIRE_FALSE(net::same_secret("abc", "abd"));
  REQUIRE_FALSE(net::same_secret("abc", "abcd"));
  REQUIRE_FALSE(net::same_secret("", "a"));
}
