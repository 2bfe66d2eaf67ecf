#include "api/endpoint.hpp"

#include "core/error.hpp"
#include "util/text.hpp"

namespace keap::api {

util::Url resolve_endpoint(const std::string& endpoint, const util::Url& base, const util::Parameters& query) {
  if (endpoint.empty()) {
    throw Error(ExitCode::usage, "no endpoint was given", "for example `keap-auth api v1/contacts -q limit=5`");
  }
  if (auto offset = util::invalid_utf8_offset(endpoint)) {
    throw Error(ExitCode::usage, "the endpoint is not valid UTF-8 (byte " + std::to_string(*offset + 1) + ")");
  }
  util::Url url;
  if (endpoint.find("://") != std::string::npos) {
    auto absolute = util::parse_url(endpoint);
    if (!absolute) {
      throw Error(ExitCode::usage,
                  "endpoint \"" + util::printable_excerpt(endpoint, 120) + "\" is not a URL keap-auth can call",
                  "give a path such as v1/contacts, or a whole https URL on " + base.origin());
    }
    if (absolute->origin() != base.origin()) {
      throw Error(ExitCode::usage,
                  "endpoint " + absolute->without_query() + " is not on the configured API host " + base.origin() +
                      "; keap-auth sends credentials only there",
                  "give a path such as v1/contacts, or set api_base_url if the API lives elsewhere");
    }
    url = *absolute;
  } else {
    if (endpoint.find_first_of(" \t\r\n#") != std::string::npos) {
      throw Error(ExitCode::usage, "endpoint \"" + util::printable_excerpt(endpoint, 120) +
                                       "\" has a space or a fragment, which no path of Keap's API has");
    }
    auto question = endpoint.find('?');
    auto path = endpoint.substr(0, question);
    auto prefix = base.path.ends_with("/") ? base.path.substr(0, base.path.size() - 1) : base.path;
    url = base;
    url.path = prefix + (path.starts_with("/") ? path : "/" + path);
    url.query = question == std::string::npos ? "" : endpoint.substr(question + 1);
  }
  auto added = util::form_encode(query);
  if (!added.empty()) {
    url.query = url.query.empty() ? added : url.query + "&" + added;
  }
  return url;
}

} // namespace keap::api
