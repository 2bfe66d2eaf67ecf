#pragma once

#include "core/credential.hpp"
#include "emulator/server.hpp"
#include "support/process.hpp"
#include "util/url.hpp"

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
  explicit Emulator(emulator::Settings settings = emulator_settings(), emulator::RestSettings rest = {});
  emulator::Server server;
};

/// Writes keap-auth.json for `emulator` into `dir` (redirect_uri on an ephemeral port unless `extra`
/// says otherwise) and returns its path.
std::string write_config(const TempDir& dir, const Emulator& emulator, const nlohmann::json& extra = {});

/// Credentials for the test client obtained through `emulator`'s real code grant, then aged: the access
/// token expires `access_left` from now and the refresh token is `refresh_age` old. Saved to `path`.
OAuthGrant seed_credentials(Emulator& emulator, const std::string& path, std::chrono::seconds access_left,
                            std::chrono::seconds refresh_age = std::chrono::seconds(0));

/// Kills `grant`'s refresh token the way another client's refresh would (rotating it away).
void kill_refresh_token(Emulator& emulator, const OAuthGrant& grant);

/// The OAuth grant in a credentials file (the test fails when there is none).
OAuthGrant load_grant(const std::string& path);

/// The tokens and client of a credentials file, without what a failed refresh records beside them
/// (last_refresh_failure): what "a failure changes nothing" compares.
std::string tokens_of(const std::string& path);

/// Writes a grant as keap-auth would (atomically, 0600).
void save_grant(const std::string& path, const OAuthGrant& grant);

/// Waits until the emulator has received `count` token requests; false at the timeout.
bool wait_for_token_requests(Emulator& emulator, size_t count, std::chrono::milliseconds timeout);

/// Number of refresh_token grants the emulator has answered with `status` (any status when 0).
size_t refresh_grants(Emulator& emulator, int status = 200);

/// A running `keap-auth login`, after it printed the URL for the browser.
struct LoginRun {
  std::unique_ptr<Process> process;
  std::string authorize_url;
};
/// The authorize URL a login printed on stderr for the person to open, or empty.
std::string printed_authorize_url(const std::string& err);

/// `umask`: the login process's umask, when it matters.
LoginRun start_login(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& env = {},
                     std::optional<unsigned> umask = std::nullopt);

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
Page browser_post_form(const std::string& url, const util::Parameters& form);

/// Follows redirects (relative ones against the current URL) from `url` like a browser, at most 5 hops.
Page browse(std::string url, std::vector<std::string>* visited = nullptr, const std::string& trusted_certificate = {});

/// An emulator fault answering `status` with `body` (for tests that make their own).
emulator::Fault fault(int status, std::string body, std::string content_type = "application/json",
                      std::string retry_after = {}, std::chrono::milliseconds delay = std::chrono::milliseconds(0),
                      int count = -1);

/// A fault that answers normally, but only after `delay`.
emulator::Fault slow_answer(std::chrono::milliseconds delay, int count = -1);

/// An emulator, a folder with a config that points at it, and keap-auth run against both: the fixture
/// of most integration tests.
struct Setup {
  explicit Setup(emulator::Settings settings = emulator_settings(), nlohmann::json extra = {},
                 emulator::RestSettings rest = {});
  /// keap-auth ARGUMENTS --config CONFIG, to completion.
  ProcessResult keap(std::vector<std::string> arguments, const std::map<std::string, std::string>& env = {},
                     const Limits& limits = {});
  /// The same, with `input` on stdin.
  ProcessResult keap_with_input(std::vector<std::string> arguments, const std::string& input,
                                const std::map<std::string, std::string>& env = {});
  /// The same, started and left running.
  std::unique_ptr<Process> start(std::vector<std::string> arguments,
                                 const std::map<std::string, std::string>& env = {});
  std::string path() const { return dir.file("keap-credentials.json"); }

  Emulator emulator;
  TempDir dir;
  std::string config;
};

/// Another user's world, for tests where permissions or process ownership are the property: a home
/// folder owned by nobody (when the tests run as root; else by the tests' own user, and `other` is
/// false) holding copies of both programs, which that user may run.
struct UserHome {
  UserHome();
  bool other = false;
  uid_t uid = 0;
  TempDir home;
  std::string program() const { return home.file("keap-auth"); }
  /// Gives `path` (and everything under it) to the user.
  void give(const std::string& path) const;
  Limits limits() const;
  std::map<std::string, std::string> env() const;
};

/// The JSON a command printed on stdout (the test fails, showing stdout and stderr, when it is not JSON).
nlohmann::json json_of(const ProcessResult& result);

/// ARGUMENTS run with a terminal as stdin, stdout and stderr (util-linux's script); `out` is what the
/// terminal showed, `input` what was typed.
ProcessResult run_on_terminal(const std::vector<std::string>& arguments,
                              const std::map<std::string, std::string>& env = {},
                              const std::optional<std::string>& input = std::nullopt);

/// A loopback port that was free a moment ago (for tests that need a fixed port but run in parallel).
int free_port();

/// A parameter of a URL's query, or empty.
std::string query_parameter(const std::string& url, const std::string& name);

} // namespace keap::test
