#include "api/authenticator.hpp"

namespace keap::api {

OAuthAuthenticator::OAuthAuthenticator(store::CredentialStore& store, std::string profile, net::HttpClient& http,
                                       oauth::RefreshSettings settings, std::chrono::seconds min_valid)
    : m_store(store), m_profile(std::move(profile)), m_http(http), m_settings(std::move(settings)),
      m_min_valid(min_valid) {}

void OAuthAuthenticator::authorize(net::HttpRequest& request) {
  // Each request re-checks the expiry, so a long listing refreshes when the token nears its end and
  // goes on where it was. A token that is still good needs no lock.
  if (auto loaded = m_store.read_credential(m_profile)) {
    const auto* grant = std::get_if<OAuthGrant>(&loaded->credential);
    if (grant && !access_token_expires_within(*grant, m_min_valid, util::now_seconds())) {
      m_token = grant->access_token;
      request.headers.emplace_back("Authorization", "Bearer " + m_token);
      return;
    }
  }
  auto result = oauth::refresh_grant(
      m_store, m_profile, m_http, m_settings, [this](const OAuthGrant& grant, util::TimePoint now) {
        return access_token_expires_within(grant, m_min_valid, now) ? RefreshReason::access_token_expiring
                                                                    : RefreshReason::none;
      });
  m_refreshed = m_refreshed || result.refreshed();
  m_token = result.grant.access_token;
  request.headers.emplace_back("Authorization", "Bearer " + m_token);
}

bool OAuthAuthenticator::recover() {
  auto rejected = m_token;
  auto result =
      oauth::refresh_grant(m_store, m_profile, m_http, m_settings, [&](const OAuthGrant& grant, util::TimePoint) {
        // Another process may have refreshed already: then just use its token.
        return grant.access_token == rejected ? RefreshReason::access_token_rejected : RefreshReason::none;
      });
  m_refreshed = m_refreshed || result.refreshed();
  return result.grant.access_token != rejected;
}

void KeyAuthenticator::authorize(net::HttpRequest& request) { request.headers.push_back(credential_header(m_key)); }

std::string KeyAuthenticator::describe() const { return describe_key_kind(m_key.kind) + " in X-Keap-API-Key"; }

} // namespace keap::api
