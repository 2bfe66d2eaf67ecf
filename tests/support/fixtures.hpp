#pragma once

#include "credentials.hpp"
#include "emulator/server.hpp"
#include "support/process.hpp"
#include "url.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace keap::test {

inline const std::string k_client_id = "test-client-7f3a";
inline const std::string k_client_secret = "test-secret-Q9x2LmZ8pW4rT6vB";

std::string keap_auth();

/// Emulator settings for the test client; tests change what they need.
emulator::Settings emulator_settings();

/// An in-process emulator on an ephemeral loopback port, serving until the test ends.
struct Emulator {
  explicit Emulator(emulator::Settings settings = emulator_settings());
  emulator::Server server;
};

/// Writes keap-auth.json for `emulator` into `dir` (redirect_uri on an ephemeral port unless `extra`
/// says otherwise) and returns its path.
std::string write_config(const TempDir& dir, const Emulator& emulator, const nlohmann::json& extra = {});

/// Credentials for the test client obtained through `emulator`'s real code grant, then aged: the access
/// token expires `access_left` from now and the refresh token is `refresh_age` old. Saved to `path`.
Credentials seed_credentials(Emulator& emulator, const std::string& path, std::chrono::seconds access_left,
                             std::chrono::seconds refresh_age = std::chrono::seconds(0));

/// Number of refresh_token grants the emulator has answered with `status` (any status when 0).
size_t refresh_grants(Emulator& emulator, int status = 200);

/// A running `keap-auth login`, after it printed the URL for the browser.
struct LoginRun {
  std::unique_ptr<Process> process;
  std::string authorize_url;
};
LoginRun start_login(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& env = {});

/// What a browser would get for one request, without following redirects.
struct Page {
  int status = 0;
  std::string location;
  std::string body;
  std::multimap<std::string, std::string> headers;
};
/// `trusted_certificate`: for https, the only certificate (PEM file) to trust.
Page browser_get(const std::string& url, const std::string& host_header = {},
                 const std::string& trusted_certificate = {});
Page browser_post_form(const std::string& url, const Parameters& form);

/// Follows redirects (relative ones against the current URL) from `url` like a browser, at most 5 hops.
Page browse(std::string url, std::vector<std::string>* visited = nullptr, const std::string& trusted_certificate = {});

/// A loopback port that was free a moment ago (for tests that need a fixed port but run in parallel).
int free_port();

/// A parameter of a URL's query, or empty.
std::string query_parameter(const std::string& url, const std::string& name);

} // namespace keap::test
