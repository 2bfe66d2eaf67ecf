#include "oauth/userinfo.hpp"

#include "net/http_status.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace keap::oauth {

std::optional<nlohmann::json> fetch_userinfo(net::HttpClient& http, const util::Url& url,
                                             const Credential& credential) {
  net::HttpRequest request;
  request.url = url;
  request.headers = {credential_header(credential), {"Accept", "application/json"}};
  auto response = http.send(request);
  auto endpoint = url.without_query();
  auto status_class = net::classify_status(response.status);
  if (status_class == net::StatusClass::unauthorized) {
    return std::nullopt;
  }
  if (net::worth_retrying_later(status_class)) {
    throw Error(ExitCode::unavailable,
                "the userinfo endpoint " + endpoint + " answered " + net::describe_status(response.status),
                "try again later");
  }
  if (response.status != 200) {
    throw Error(ExitCode::failure,
                "the userinfo endpoint " + endpoint + " answered " + net::describe_status(response.status) + ": " +
                    util::printable_excerpt(response.body),
                "check userinfo_url in the config");
  }
  auto user = util::parse_json(response.body);
  if (user.is_discarded() || !user.is_object()) {
    throw Error(ExitCode::unavailable,
                "the userinfo endpoint " + endpoint + " answered 200 with a body that is not a JSON object");
  }
  return user;
}

} // namespace keap::oauth
