#include "userinfo.hpp"

#include "error.hpp"

namespace keap {

std::optional<nlohmann::json> fetch_userinfo(const Url& url, const std::string& access_token, const HttpOptions& http) {
  HttpRequest request;
  request.url = url;
  request.headers = {{"Authorization", "Bearer " + access_token}, {"Accept", "application/json"}};
  auto response = send_request(request, http);
  std::string endpoint = url.origin() + url.path;
  if (response.status == 401) {
    return std::nullopt;
  }
  if (response.status >= 500 || response.status == 429) {
    throw Error(ExitCode::unavailable, "the userinfo endpoint " + endpoint + " answered HTTP " +
                                           std::to_string(response.status), "try again later");
  }
  if (response.status != 200) {
    throw Error(ExitCode::failure, "the userinfo endpoint " + endpoint + " answered HTTP " +
                                       std::to_string(response.status) + ": " + printable_excerpt(response.body),
                "check userinfo_url in the config");
  }
  auto user = nlohmann::json::parse(response.body, nullptr, false);
  if (user.is_discarded() || !user.is_object()) {
    throw Error(ExitCode::unavailable, "the userinfo endpoint " + endpoint + " answered 200 with a body that is not "
                                       "a JSON object");
  }
  return user;
}

} // namespace keap
