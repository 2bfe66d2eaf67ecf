#include "core/error.hpp"
#include "oauth/token_client.hpp"

#include <catch2/catch.hpp>

using namespace keap;
using namespace keap::oauth;

namespace {

ExitCode code_of(int status, const std::string& body, std::string* message = nullptr) {
  try {
    interpret_token_response({status, body, {{"content-type", "application/json"}}},
                             "https://api.infusionsoft.com/token", Grant::authorization_code);
  } catch (const Error& error) {
    if (message) {
      *message = error.what();
    }
    return error.code();
  }
  return ExitCode::ok;
}

} // namespace

TEST_CASE("oauth::token_client: a Keap success response", "[token]") {
  auto token = interpret_token_response(
      {200,
       R"({"access_token":"Ab3xYz","token_type":"bearer","expires_in":86399,"refresh_token":"Rf9","scope":"full|ab123.infusionsoft.com"})",
       {}},
      "e", Grant::authorization_code);
  REQUIRE(token.access_token == "Ab3xYz");
  REQUIRE(token.refresh_token == "Rf9");
  REQUIRE(token.expires_in == 86399);
  REQUIRE(token.scope == "full|ab123.infusionsoft.com");
}

TEST_CASE("oauth::token_client: other servers' normal fields are accepted", "[token]") {
  auto token = interpret_token_response(
      {200,
       R"({"access_token":"a","token_type":"Bearer","expires_in":"3600","refresh_token":"r","id_token":"x.y.z","scope":"openid"})",
       {}},
      "e", Grant::authorization_code);
  REQUIRE(token.expires_in == 3600);
  REQUIRE(token.token_type == "Bearer");
}

TEST_CASE("oauth::token_client: failures are classified", "[token]") {
  std::string message;
  REQUIRE(code_of(401,
                  R"({"error":"invalid_grant","error_description":"Unable to authenticate username and password"})",
                  &message) == ExitCode::usage);
  REQUIRE(message == "the token endpoint https://api.infusionsoft.com/token rejected the client credentials (HTTP 401 "
                     "(Unauthorized), invalid_grant: Unable to authenticate username and password)");
  REQUIRE(code_of(400, R"({"error":"invalid_client"})") == ExitCode::usage);
  REQUIRE(code_of(400, R"({"error":"invalid_grant","error_description":"Invalid code"})", &message) ==
          ExitCode::failure);
  REQUIRE(message.find("invalid_grant: Invalid code") != std::string::npos);
  REQUIRE(code_of(400, "<html>bad</html>", &message) == ExitCode::failure);
  REQUIRE(code_of(500, "<html>oops</html>") == ExitCode::unavailable);
  REQUIRE(code_of(503, "") == ExitCode::unavailable);
  REQUIRE(code_of(429, "{}") == ExitCode::unavailable);
  REQUIRE(code_of(200, "not json") == ExitCode::unavailable);
  REQUIRE(code_of(200, R"({"access_token":"a","expires_in":60})", &message) == ExitCode::unavailable);
  REQUIRE(message.find("\"refresh_token\"") != std::string::npos);
  REQUIRE(code_of(200, R"({"access_token":"a","refresh_token":"r"})") == ExitCode::unavailable);
  REQUIRE(code_of(200, R"({"access_token":"a","refresh_token":"r","expires_in":0})") == ExitCode::unavailable);
  REQUIRE(code_of(200, R"({"access_token":"a","refresh_token":"r","expires_in":-5})") == ExitCode::unavailable);
  REQUIRE(code_of(200, R"({"access_token":"a","refresh_token":"r","expires_in":99999999999})") ==
          ExitCode::unavailable);
  REQUIRE(code_of(204, "") == ExitCode::unavailable);
}

TEST_CASE("oauth::token_client: server text is made safe for a terminal", "[token]") {
  std::string message;
  code_of(400, "{\"error\":\"x\\u001b[31m\",\"error_description\":\"line\\nbreak\"}", &message);
  REQUIRE(message.find('\x1b') == std::string::npos);
  REQUIRE(message.find("line break") != std::string::npos);
}

TEST_CASE("oauth::token_client: the code exchange request follows token_auth", "[token]") {
  TokenEndpoint endpoint{*util::parse_url("https://api.infusionsoft.com/token"), TokenAuth::keap, "id", "se cret"};
  auto keap = code_exchange_request(endpoint, "CODE", "http://localhost:8765/callback", "VERIFIER");
  REQUIRE(keap.method == "POST");
  REQUIRE(keap.content_type == "application/x-www-form-urlencoded");
  REQUIRE(keap.body == "grant_type=authorization_code&code=CODE&redirect_uri=http%3A%2F%2Flocalhost%3A8765%2Fcallback"
                       "&code_verifier=VERIFIER&client_id=id&client_secret=se%20cret");
  for (const auto& [name, value] : keap.headers) {
    REQUIRE(name != "Authorization");
  }
  endpoint.auth = TokenAuth::client_secret_basic;
  auto basic = code_exchange_request(endpoint, "CODE", "http://localhost/", "");
  REQUIRE(basic.body == "grant_type=authorization_code&code=CODE&redirect_uri=http%3A%2F%2Flocalhost%2F");
  REQUIRE(basic.headers.back() == std::pair<std::string, std::string>{"Authorization", "Basic aWQ6c2UlMjBjcmV0"});
}

TEST_CASE("oauth::token_client: the refresh request follows token_auth", "[token]") {
  TokenEndpoint endpoint{*util::parse_url("https://api.infusionsoft.com/token"), TokenAuth::keap, "id", "sec"};
  auto keap = refresh_request(endpoint, "R1");
  REQUIRE(keap.body == "grant_type=refresh_token&refresh_token=R1");
  REQUIRE(keap.headers.back() == std::pair<std::string, std::string>{"Authorization", "Basic aWQ6c2Vj"});
  endpoint.auth = TokenAuth::client_secret_post;
  auto post = refresh_request(endpoint, "R1");
  REQUIRE(post.body == "grant_type=refresh_token&refresh_token=R1&client_id=id&client_secret=sec");
  REQUIRE(post.headers.size() == 1);
}

TEST_CASE("oauth::token_client: refresh failures are classified", "[token]") {
  auto refresh_code = [](int status, const std::string& body) {
    try {
      interpret_token_response({status, body, {}}, "e", Grant::refresh_token);
    } catch (const Error& error) {
      return error.code();
    }
    return ExitCode::ok;
  };
  REQUIRE(refresh_code(400, R"({"error":"invalid_request","error_description":"Invalid Refresh Token"})") ==
          ExitCode::relogin);
  REQUIRE(refresh_code(400, R"({"error":"invalid_grant","error_description":"Invalid refresh token"})") ==
          ExitCode::relogin);
  REQUIRE(refresh_code(401, R"({"error":"invalid_grant","error_description":"Unable to authenticate"})") ==
          ExitCode::relogin);
  REQUIRE(refresh_code(403, "{}") == ExitCode::failure);
  REQUIRE(refresh_code(429, "{}") == ExitCode::unavailable);
  REQUIRE(refresh_code(502, "<html>") == ExitCode::unavailable);
  REQUIRE(refresh_code(200, R"({"access_token":"a"})") == ExitCode::unavailable);
}

TEST_CASE("oauth::token_client: a token with a blank or a control character is not one", "[token]") {
  for (const char* token : {"abc\\r\\nX-Injected: 1", "a b", "tab\\there"}) {
    std::string message;
    auto body = std::string(R"({"access_token":")") + token +
                R"(","refresh_token":"r","token_type":"bearer","expires_in":86399})";
    REQUIRE(code_of(200, body, &message) == ExitCode::unavailable);
    REQUIRE(message.find("\"access_token\" with a blank, a control character") != std::string::npos);
  }
}
