#include "agent/endpoints.hpp"

#include "core/expiry.hpp"
#include "core/token_answer.hpp"
#include "net/crypto.hpp"
#include "util/duration.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"
#include "util/timestamp.hpp"
#include "util/url.hpp"

#include <fstream>
#include <sstream>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace keap::agent {

namespace {

using Json = nlohmann::ordered_json;

/// What the agent's own endpoints take in a body; a proxied call may send up to max_body.
constexpr size_t k_endpoint_body_bytes = 64 * 1024;

net::ServerResponse json_response(int status, const Json& body) {
  return {status,
          {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
          util::dump_json(body) + "\n",
          false};
}

const char* code_of(int status) {
  switch (status) {
  case 400:
    return "bad_request";
  case 401:
    return "key_required";
  case 403:
    return "forbidden";
  case 404:
    return "not_found";
  case 405:
    return "method_not_allowed";
  case 408:
    return "request_timeout";
  case 409:
    return "conflict";
  case 413:
    return "too_large";
  case 414:
    return "target_too_long";
  case 431:
    return "headers_too_large";
  case 503:
    return "unavailable";
  case 505:
    return "http_version";
  default:
    return "error";
  }
}

net::ServerResponse error_response(int status, const std::string& message, const std::string& hint, int exit_code) {
  return error_answer(status, code_of(status), message, hint, exit_code);
}

/// The status an Error from the service is answered with.
int status_of(const Error& error) {
  if (dynamic_cast<const UnknownProfile*>(&error) != nullptr) {
    return 404;
  }
  if (dynamic_cast<const KeyRejected*>(&error) != nullptr) {
    return 409;
  }
  return error.code() == ExitCode::usage ? 400 : 503;
}

net::ServerResponse error_response(const Error& error) {
  auto status = status_of(error);
  return error_response(status, error.what(), error.hint(), static_cast<int>(error.code()));
}

std::optional<uid_t> user_id(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  return ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found
             ? std::optional<uid_t>(found->pw_uid)
             : std::nullopt;
}

std::optional<gid_t> group_id(const std::string& name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  return ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found
             ? std::optional<gid_t>(found->gr_gid)
             : std::nullopt;
}

/// The groups a process belongs to, from /proc (its primary group comes with SO_PEERCRED).
std::vector<gid_t> supplementary_groups(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  std::vector<gid_t> groups;
  while (std::getline(status, line)) {
    if (line.starts_with("Groups:")) {
      std::istringstream numbers(line.substr(7));
      unsigned long group = 0;
      while (numbers >> group) {
        groups.push_back(static_cast<gid_t>(group));
      }
    }
  }
  return groups;
}

Json profile_json(const ProfileState& state, TimePoint now) {
  const auto* grant = state.credential ? std::get_if<OAuthGrant>(&*state.credential) : nullptr;
  const auto* key = state.credential ? std::get_if<ApiKey>(&*state.credential) : nullptr;
  return {{"profile", state.profile},
          {"kind", grant ? Json("oauth_grant")
                   : key ? Json("api_key")
                         : Json(nullptr)},
          {"key_kind", key ? Json(key_kind_name(key->kind)) : Json(nullptr)},
          {"app", grant && grant->app ? Json(*grant->app) : Json(nullptr)},
          {"access_token_expires_at", grant ? Json(util::format_rfc3339(grant->expires_at)) : Json(nullptr)},
          {"refresh_at", grant && state.refresh_at ? Json(util::format_rfc3339(*state.refresh_at)) : Json(nullptr)},
          {"refresh_token_age_seconds", grant ? Json(refresh_token_age(*grant, now).count()) : Json(nullptr)},
          {"usable", state.usable},
          {"problem", state.problem.empty() ? Json(nullptr) : Json(state.problem)}};
}

} // namespace

net::ServerResponse error_answer(int status, const std::string& code, const std::string& message,
                                 const std::string& hint, int exit_code) {
  return json_response(status, Json{{"schema", 1},
                                    {"error",
                                     {{"code", code},
                                      {"message", message},
                                      {"hint", hint.empty() ? Json(nullptr) : Json(hint)},
                                      {"exit_code", exit_code}}}});
}

std::optional<TokenQuery> parse_token_query(std::string_view query) {
  auto parameters = util::parse_form(query);
  if (!parameters) {
    return std::nullopt;
  }
  TokenQuery parsed;
  for (const auto& [name, value] : *parameters) {
    if (name == "profile" && !parsed.profile) {
      parsed.profile = value;
    } else if (name == "min_valid") {
      auto duration = util::parse_duration(value);
      if (!duration) {
        return std::nullopt;
      }
      parsed.min_valid = *duration;
    } else {
      return std::nullopt; // a parameter it does not know, or a second profile: never guessed
    }
  }
  if (parsed.profile && !is_profile_name(*parsed.profile)) {
    return std::nullopt;
  }
  return parsed;
}

std::optional<RejectedBody> parse_rejected_body(std::string_view body) {
  auto json = util::parse_json(body);
  if (!json.is_object()) {
    return std::nullopt;
  }
  RejectedBody parsed;
  auto token = util::string_member(json, "token");
  if (!token || !util::is_visible_ascii(*token)) {
    return std::nullopt;
  }
  parsed.token = *token;
  if (json.contains("profile")) {
    parsed.profile = util::string_member(json, "profile");
    if (!parsed.profile || !is_profile_name(*parsed.profile)) {
      return std::nullopt;
    }
  }
  return parsed;
}

Access access_of(const Settings& settings, std::string tcp_key) {
  Access access;
  for (const auto& name : settings.allow_users) {
    auto id = user_id(name);
    if (!id) {
      throw Error(ExitCode::usage, "agent.allow_users: there is no user \"" + util::printable_excerpt(name, 64) + "\"");
    }
    access.users.insert(*id);
  }
  for (const auto& name : settings.allow_groups) {
    auto id = group_id(name);
    if (!id) {
      throw Error(ExitCode::usage,
                  "agent.allow_groups: there is no group \"" + util::printable_excerpt(name, 64) + "\"");
    }
    access.groups.insert(*id);
  }
  access.tcp_key = std::move(tcp_key);
  return access;
}

std::string tcp_key_from(const std::string& path) {
  if (path.empty()) {
    throw Error(ExitCode::usage, "a TCP listener needs agent.tcp_key_file, and there is no state folder for one",
                "set agent.tcp_key_file in the config");
  }
  try {
    if (auto text = util::read_regular_file(path, 4096)) {
      auto key = *text;
      while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) {
        key.pop_back();
      }
      if (key.size() < 16 || !util::is_visible_ascii(key)) {
        throw Error(ExitCode::usage,
                    "agent.tcp_key_file " + path + " does not hold a key of 16 visible characters or more",
                    "remove it: the agent makes a new one");
      }
      if (auto mode = util::file_mode(path); mode && (*mode & 077) != 0) {
        throw Error(ExitCode::usage, "agent.tcp_key_file " + path + " may be read by others",
                    "run `chmod 600 " + path + "`");
      }
      return key;
    }
    util::create_private_folders(util::folder_of(path));
    auto key = net::random_url_safe(32);
    if (!util::write_new_private_file(path, key + "\n")) {
      return tcp_key_from(path); // another agent made it first
    }
    return key;
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string("agent.tcp_key_file: ") + error.what(), "check the path and its folder");
  }
}

net::ServerResponse refusal_answer(int status, const std::string& reason) {
  return error_response(status, reason, "", static_cast<int>(ExitCode::usage));
}

Endpoints::Endpoints(std::function<std::shared_ptr<Service>()> current, Access access, Metrics& metrics, const Log& log,
                     Workers& workers, Proxy& proxy)
    : m_current(std::move(current)), m_access(std::move(access)), m_metrics(metrics), m_log(log), m_workers(workers),
      m_proxy(proxy) {}

void Endpoints::handle(net::ServerRequest request, net::Responder responder) {
  if (allowed(request, responder)) {
    route(request, responder);
  }
}

bool Endpoints::allowed(const net::ServerRequest& request, net::Responder& responder) {
  if (request.peer) {
    const auto& peer = *request.peer;
    bool permitted = peer.uid == ::geteuid() || peer.uid == 0 || m_access.users.count(peer.uid) > 0 ||
                     m_access.groups.count(peer.gid) > 0;
    if (!permitted && !m_access.groups.empty()) {
      for (auto group : supplementary_groups(peer.pid)) {
        permitted = permitted || m_access.groups.count(group) > 0;
      }
    }
    if (permitted) {
      return true;
    }
    m_metrics.add("keap_auth_callers_refused_total", {});
    m_log.warn("caller refused", {{"uid", std::to_string(peer.uid)},
                                  {"pid", std::to_string(peer.pid)},
                                  {"why", "not the agent's user, root, nor in allow_users or allow_groups"}});
    send(responder, "refused",
         error_response(403, "this user may not ask the agent (uid " + std::to_string(peer.uid) + ")",
                        "add the user to agent.allow_users, or a group of it to agent.allow_groups", 2));
    return false;
  }
  auto given = request.header("Keap-Agent-Key");
  if (!m_access.tcp_key.empty() && request.count("Keap-Agent-Key") == 1 && net::same_secret(given, m_access.tcp_key)) {
    return true;
  }
  m_metrics.add("keap_auth_callers_refused_total", {});
  m_log.warn("caller refused", {{"why", given.empty() ? "no Keap-Agent-Key over TCP" : "a wrong Keap-Agent-Key"}});
  send(responder, "refused",
       error_response(401, "a request over TCP needs the header Keap-Agent-Key",
                      "send the content of agent.tcp_key_file as Keap-Agent-Key (or use the Unix socket)", 2));
  return false;
}

void Endpoints::send(net::Responder& responder, const std::string& endpoint, net::ServerResponse response) {
  m_metrics.add("keap_auth_requests_total", {{"endpoint", endpoint}, {"status", std::to_string(response.status)}});
  responder.send(std::move(response));
}

void Endpoints::route(net::ServerRequest& request, net::Responder responder) {
  struct Route {
    const char* path;
    const char* method;
  };
  static constexpr Route k_routes[] = {{"/v1/token", "GET"},
                                       {"/v1/token/rejected", "POST"},
                                       {"/v1/profiles", "GET"},
                                       {"/healthz", "GET"},
                                       {"/metrics", "GET"}};
  const Route* route = nullptr;
  for (const auto& candidate : k_routes) {
    route = request.path == candidate.path ? &candidate : route;
  }
  if (route == nullptr) {
    return m_proxy.handle(std::move(request), std::move(responder)); // Keap's API under api_base_url's path, else 404
  }
  if (request.body.size() > k_endpoint_body_bytes) { // the server took up to max_body for the proxy
    return send(responder, route->path,
                error_response(413, "the request's body is larger than " + std::to_string(k_endpoint_body_bytes) +
                                        " bytes",
                               "", 2));
  }
  if (request.method != route->method && !(request.method == "HEAD" && std::string(route->method) == "GET")) {
    auto response = error_response(405,
                                   request.method == "POST" || request.method == "GET" || request.method == "PUT" ||
                                           request.method == "DELETE" || request.method == "PATCH"
                                       ? request.method + " is not allowed here"
                                       : "this method is not allowed here",
                                   std::string("use ") + route->method, 2);
    response.headers.emplace_back("Allow", route->method);
    return send(responder, route->path, std::move(response));
  }
  std::string path = route->path;
  if (path == "/v1/token") {
    return token(request, responder);
  }
  if (path == "/v1/token/rejected") {
    return rejected(request, responder);
  }
  auto service = m_current();
  if (path == "/metrics") {
    auto now = util::now_seconds();
    m_metrics.add("keap_auth_requests_total", {{"endpoint", path}, {"status", "200"}});
    m_workers.post([this, service, responder, now]() mutable {
      for (const auto& state : service->states()) {
        const auto* grant = state.credential ? std::get_if<OAuthGrant>(&*state.credential) : nullptr;
        if (grant) {
          m_metrics.set("keap_auth_token_expiry_seconds", {{"profile", state.profile}},
                        static_cast<double>((grant->expires_at - now).count()));
          m_metrics.set("keap_auth_refresh_token_age_seconds", {{"profile", state.profile}},
                        static_cast<double>(refresh_token_age(*grant, now).count()));
        }
      }
      responder.send({200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}}, m_metrics.text(), false});
    });
    return;
  }
  m_workers.post([this, service, path, responder]() mutable {
    auto now = util::now_seconds();
    auto states = service->states();
    Json profiles = Json::array();
    Json problems = Json::array();
    for (const auto& state : states) {
      profiles.push_back(profile_json(state, now));
      if (!state.usable) {
        problems.push_back({{"profile", state.profile}, {"problem", state.problem}});
      }
    }
    if (path == "/v1/profiles") {
      return send(responder, path, json_response(200, Json{{"schema", 1}, {"profiles", profiles}}));
    }
    bool healthy = problems.empty();
    send(responder, path,
         json_response(healthy ? 200 : 503, Json{{"schema", 1}, {"healthy", healthy}, {"problems", problems}}));
  });
}

void Endpoints::token(const net::ServerRequest& request, net::Responder responder) {
  auto query = parse_token_query(request.query);
  auto service = m_current();
  if (!query) {
    return send(responder, "/v1/token",
                error_response(400, "the query is not profile=NAME[&min_valid=DUR]",
                               "a profile name is letters, digits, '.', '_' and '-'; min_valid is " +
                                   std::string(util::k_duration_forms),
                               2));
  }
  auto profile = query->profile.value_or(service->default_profile());
  auto min_valid = query->min_valid;
  bool plain = request.header("Accept").find("text/plain") != std::string::npos;
  auto answer = [this, plain](net::Responder& to, const Served& served) {
    if (plain) {
      auto body = token_answer(served.profile, served.credential, served.refresh_at)["token"].get<std::string>();
      return send(to, "/v1/token", {200, {{"Content-Type", "text/plain"}, {"Cache-Control", "no-store"}}, body + "\n"});
    }
    send(to, "/v1/token", json_response(200, token_answer(served.profile, served.credential, served.refresh_at)));
  };
  if (auto held = service->held_token(profile, min_valid)) {
    return answer(responder, *held); // the common case, on the server's thread
  }
  m_workers.post([this, service, profile, min_valid, responder, answer]() mutable {
    try {
      answer(responder, service->token(profile, min_valid));
    } catch (const Error& error) {
      send(responder, "/v1/token", error_response(error));
    }
  });
}

void Endpoints::rejected(const net::ServerRequest& request, net::Responder responder) {
  auto body = parse_rejected_body(request.body);
  auto service = m_current();
  if (!body) {
    return send(responder, "/v1/token/rejected",
                error_response(400, "the body is not {\"profile\": NAME, \"token\": TOKEN}",
                               "send the token that got the 401 (the profile may be left out for the default)", 2));
  }
  m_workers.post([this, service, profile = body->profile.value_or(service->default_profile()), token = body->token,
                  responder]() mutable {
    try {
      auto served = service->replace(profile, token);
      send(responder, "/v1/token/rejected",
           json_response(200, token_answer(served.profile, served.credential, served.refresh_at)));
    } catch (const Error& error) {
      send(responder, "/v1/token/rejected", error_response(error));
    }
  });
}

} // namespace keap::agent
