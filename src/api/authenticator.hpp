#pragma once

#include "core/credential.hpp"
#include "net/http_client.hpp"
#include "oauth/refresh.hpp"
#include "store/credential_store.hpp"

#include <chrono>
#include <string>

namespace keap::api {

/// Puts a credential on an API request, and recovers from a 401 when that can help.
class Authenticator {
public:
  virtual ~Authenticator() = default;
  /// Adds the credential's header (refreshing an OAuth token first when it is about to expire).
  virtual void authorize(net::HttpRequest& request) = 0;
  /// After a 401: true when replaying may now succeed (OAuth: the store holds a new token, refreshed here
  /// or by another process). Keys never recover.
  virtual bool recover() = 0;
  /// "an OAuth access token in Authorization: Bearer", for messages.
  virtual std::string describe() const = 0;
  virtual bool is_key() const = 0;
  /// True once this authenticator has refreshed the grant.
  virtual bool refreshed() const = 0;
};

/// An OAuth grant from the store: `Authorization: Bearer`, refreshed through the store's lock (one
/// refresh for any number of processes that find the same token expired or rejected).
class OAuthAuthenticator : public Authenticator {
public:
  OAuthAuthenticator(store::CredentialStore& store, std::string profile, net::HttpClient& http,
                     oauth::RefreshSettings settings, std::chrono::seconds min_valid);
  void authorize(net::HttpRequest& request) override;
  bool recover() override;
  std::string describe() const override { return "an OAuth access token in Authorization: Bearer"; }
  bool is_key() const override { return false; }
  bool refreshed() const override { return m_refreshed; }

private:
  store::CredentialStore& m_store;
  std::string m_profile;
  net::HttpClient& m_http;
  oauth::RefreshSettings m_settings;
  std::chrono::seconds m_min_valid;
  std::string m_token; ///< the access token last sent
  bool m_refreshed = false;
};

/// A Personal Access Token or Service Account Key: `X-Keap-API-Key`, never refreshed.
class KeyAuthenticator : public Authenticator {
public:
  explicit KeyAuthenticator(ApiKey key) : m_key(std::move(key)) {}
  void authorize(net::HttpRequest& request) override;
  bool recover() override { return false; }
  std::string describe() const override;
  bool is_key() const override { return true; }
  bool refreshed() const override { return false; }

private:
  ApiKey m_key;
};

} // namespace keap::api
