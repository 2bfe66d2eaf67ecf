#include "emulator/state.hpp"

#include "net/crypto.hpp"
#include "util/encoding.hpp"
#include "util/json.hpp"

#include <nlohmann/json.hpp>

namespace keap::emulator {

namespace {

using nlohmann::json;

/// Random alphanumerics, shaped like Keap's tokens (the client must treat them as opaque).
std::string random_alphanumeric(size_t length) {
  std::string result;
  while (result.size() < length) {
    for (char c : net::random_url_safe(length)) {
      if (std::isalnum(static_cast<unsigned char>(c)) && result.size() < length) {
        result += c;
      }
    }
  }
  return result;
}

Reply json_reply(int status, const json& body) {
  return {status, util::dump_json(body), "", "application/json", "", {}, Delivery::whole};
}

} // namespace

std::optional<std::pair<std::string, std::string>> parse_basic_authorization(std::string_view header) {
  constexpr std::string_view k_prefix = "Basic ";
  if (header.size() <= k_prefix.size() || header.substr(0, k_prefix.size()) != k_prefix || header.size() > 4096) {
    return std::nullopt;
  }
  auto decoded = util::base64_decode(header.substr(k_prefix.size()));
  if (!decoded) {
    return std::nullopt;
  }
  auto colon = decoded->find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  auto id = util::percent_decode(decoded->substr(0, colon));
  auto secret = util::percent_decode(decoded->substr(colon + 1));
  if (!id || !secret) {
    return std::nullopt;
  }
  return std::make_pair(*id, *secret);
}

State::State(Settings settings)
    : m_settings(std::move(settings)), m_fault(m_settings.token_fault), m_userinfo_fault(m_settings.userinfo_fault) {}

void State::set_token_fault(std::optional<Fault> fault) {
  std::lock_guard lock(m_mutex);
  m_fault = std::move(fault);
}

void State::set_userinfo_fault(std::optional<Fault> fault) {
  std::lock_guard lock(m_mutex);
  m_userinfo_fault = std::move(fault);
}

std::optional<Fault> State::take(std::optional<Fault>& fault) {
  if (!fault || fault->count == 0) {
    return std::nullopt;
  }
  if (fault->count > 0) {
    --fault->count;
  }
  return fault;
}

Reply State::reply_for(const Fault& fault) {
  return {fault.status, fault.body, "", fault.content_type, fault.retry_after, fault.delay, fault.delivery};
}

std::optional<std::string> State::authorize_problem(const Parameters& query) const {
  if (util::parameter_or_empty(query, "client_id") != m_settings.client_id) {
    return "Invalid Client: the client_id is not known here.";
  }
  auto redirect = util::parse_url(util::parameter_or_empty(query, "redirect_uri"));
  if (!redirect) {
    return "Invalid redirect_uri: it must be an absolute http(s) URL.";
  }
  if (util::parameter_or_empty(query, "response_type") != "code") {
    return "Invalid response_type: only \"code\" is supported.";
  }
  return std::nullopt;
}

std::string State::decide(const Parameters& query, bool allow, TimePoint now) {
  auto redirect = *util::parse_url(util::parameter_or_empty(query, "redirect_uri"));
  Parameters answer;
  auto challenge = util::parameter_or_empty(query, "code_challenge");
  bool pkce_ok = !m_settings.enforce_pkce ||
                 (!challenge.empty() && util::parameter_or_empty(query, "code_challenge_method") == "S256");
  if (!allow) {
    answer = {{"state", util::parameter_or_empty(query, "state")},
              {"error", "access_denied"},
              {"error_description", "User denied access to resource"}};
  } else if (!pkce_ok) {
    answer = {{"state", util::parameter_or_empty(query, "state")},
              {"error", "invalid_request"},
              {"error_description", "code_challenge with code_challenge_method=S256 is required"}};
  } else {
    auto code = random_alphanumeric(8);
    {
      std::lock_guard lock(m_mutex);
      m_codes[code] = {m_settings.client_id, redirect.to_string(), challenge, now + m_settings.code_ttl};
    }
    answer = {{"code", code}, {"scope", granted_scope()}, {"state", util::parameter_or_empty(query, "state")}};
  }
  redirect.query = (redirect.query.empty() ? "" : redirect.query + "&") + util::form_encode(answer);
  return redirect.to_string();
}

Reply State::oauth_error(int status, const std::string& error, const std::string& description) const {
  return json_reply(status, {{"error", error}, {"error_description", description}});
}

Reply State::token(const TokenRequest& request, TimePoint now) {
  TokenRequestRecord record;
  record.content_type = request.content_type;
  record.authorization_scheme = request.authorization.substr(0, request.authorization.find(' '));
  auto form = request.content_type.starts_with("application/x-www-form-urlencoded") ? util::parse_form(request.body)
                                                                                    : std::nullopt;
  if (form) {
    record.grant_type = util::parameter_or_empty(*form, "grant_type");
    record.code = util::parameter_or_empty(*form, "code");
    record.refresh_token = util::parameter_or_empty(*form, "refresh_token");
    record.code_verifier = util::parameter_or_empty(*form, "code_verifier");
    record.client_secret_in_body = util::find_parameter(*form, "client_secret").has_value();
  }
  Reply reply;
  std::optional<Fault> fault;
  {
    std::lock_guard lock(m_mutex);
    fault = take(m_fault);
  }
  if (fault && fault->status != 0) {
    reply = reply_for(*fault);
  } else if (!form) {
    // What Keap answers to a JSON body.
    reply = oauth_error(400, "invalid_request", "response_type or grant_type is required");
  } else {
    auto basic = parse_basic_authorization(request.authorization);
    bool basic_ok = basic && basic->first == m_settings.client_id && basic->second == m_settings.client_secret;
    bool body_ok = util::parameter_or_empty(*form, "client_id") == m_settings.client_id &&
                   util::parameter_or_empty(*form, "client_secret") == m_settings.client_secret;
    if (record.grant_type == "authorization_code") {
      // Keap takes the secret in the body here; a Bearer header is rejected, a matching Basic tolerated.
      bool bad_header = !request.authorization.empty() && !basic_ok;
      reply = bad_header ? oauth_error(400, "invalid_request", "Unexpected Authorization header")
                         : authorization_code_grant(*form, body_ok || basic_ok, now);
    } else if (record.grant_type == "refresh_token") {
      reply = refresh_token_grant(*form, basic_ok, now); // Keap documents HTTP Basic for refresh
    } else {
      reply = oauth_error(400, "unsupported_grant_type", "Unsupported grant_type");
    }
  }
  if (fault) {
    reply.delay = fault->delay;
  }
  record.status = reply.status;
  if (reply.status == 200) {
    auto issued = nlohmann::json::parse(reply.body, nullptr, false);
    if (issued.is_object() && issued.contains("refresh_token") && issued["refresh_token"].is_string()) {
      record.issued_refresh_token = issued["refresh_token"].get<std::string>();
    }
  }
  std::lock_guard lock(m_mutex);
  m_token_requests.push_back(std::move(record));
  return reply;
}

Reply State::authorization_code_grant(const Parameters& form, bool client_authenticated, TimePoint now) {
  if (!client_authenticated) {
    return oauth_error(401, "invalid_grant", "Unable to authenticate username and password");
  }
  std::unique_lock lock(m_mutex);
  auto found = m_codes.find(util::parameter_or_empty(form, "code"));
  if (found == m_codes.end() || found->second.expires_at <= now) {
    return oauth_error(400, "invalid_grant", "Invalid code");
  }
  Code code = found->second;
  m_codes.erase(found); // single use, even when the rest of the request is wrong
  lock.unlock();
  if (code.redirect_uri != util::parameter_or_empty(form, "redirect_uri")) {
    return oauth_error(400, "invalid_request", "Invalid redirect_uri");
  }
  if (m_settings.enforce_pkce &&
      util::base64url(net::sha256(util::parameter_or_empty(form, "code_verifier"))) != code.code_challenge) {
    return oauth_error(400, "invalid_grant", "code_verifier does not match the code_challenge");
  }
  return issue_tokens(now);
}

Reply State::refresh_token_grant(const Parameters& form, bool client_authenticated, TimePoint now) {
  if (!client_authenticated) {
    return oauth_error(401, "invalid_grant", "Unable to authenticate username and password");
  }
  std::unique_lock lock(m_mutex);
  auto found = m_refresh_tokens.find(util::parameter_or_empty(form, "refresh_token"));
  if (found == m_refresh_tokens.end() || found->second <= now) {
    return m_settings.legacy_errors ? oauth_error(400, "invalid_grant", "Invalid refresh token")
                                    : oauth_error(400, "invalid_request", "Invalid Refresh Token");
  }
  m_refresh_tokens.erase(found); // rotation: the presented token dies at once
  lock.unlock();
  return issue_tokens(now);
}

Reply State::mint_tokens(TimePoint now) { return issue_tokens(now); }

std::string State::granted_scope() const { return "full|" + m_settings.app + ".infusionsoft.com"; }

Reply State::issue_tokens(TimePoint now) {
  auto access = random_alphanumeric(28);
  auto refresh = random_alphanumeric(32);
  {
    std::lock_guard lock(m_mutex);
    m_access_tokens[access] = now + m_settings.access_ttl;
    m_refresh_tokens[refresh] = now + m_settings.refresh_ttl;
  }
  // Keap answers 86399 for a 24-hour token: the second the answer spent in flight.
  return json_reply(200, {{"access_token", access},
                          {"token_type", "bearer"},
                          {"expires_in", std::max<long long>(1, m_settings.access_ttl.count() - 1)},
                          {"refresh_token", refresh},
                          {"scope", granted_scope()}});
}

Reply State::userinfo(std::string_view authorization, TimePoint now) {
  constexpr std::string_view k_bearer = "Bearer ";
  std::string token(authorization.starts_with(k_bearer) ? authorization.substr(k_bearer.size()) : "");
  std::lock_guard lock(m_mutex);
  if (auto fault = take(m_userinfo_fault); fault && fault->status != 0) {
    return reply_for(*fault);
  }
  auto found = m_access_tokens.find(token);
  if (found == m_access_tokens.end() || found->second <= now) {
    return json_reply(401, {{"fault",
                             {{"faultstring", "Invalid Access Token"},
                              {"detail", {{"errorcode", "keymanagement.service.invalid_access_token"}}}}}});
  }
  return json_reply(200, {{"email", "ada@example.com"},
                          {"family_name", "Lovelace"},
                          {"given_name", "Ada"},
                          {"global_user_id", "7b9a3c1e"},
                          {"infusionsoft_id", m_settings.app + ".infusionsoft.com"},
                          {"middle_name", ""},
                          {"preferred_name", "Ada"},
                          {"sub", "7b9a3c1e"}});
}

std::vector<TokenRequestRecord> State::token_requests() const {
  std::lock_guard lock(m_mutex);
  return m_token_requests;
}

bool State::refresh_token_valid(const std::string& refresh_token, TimePoint now) const {
  std::lock_guard lock(m_mutex);
  auto found = m_refresh_tokens.find(refresh_token);
  return found != m_refresh_tokens.end() && found->second > now;
}

bool State::access_token_valid(const std::string& access_token, TimePoint now) const {
  std::lock_guard lock(m_mutex);
  auto found = m_access_tokens.find(access_token);
  return found != m_access_tokens.end() && found->second > now;
}

void State::expire_access_token(const std::string& access_token) {
  std::lock_guard lock(m_mutex);
  if (auto found = m_access_tokens.find(access_token); found != m_access_tokens.end()) {
    found->second = TimePoint{};
  }
}

} // namespace keap::emulator
