#include "cli/parser.hpp"

#include "duration.hpp"
#include "error.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace keap::cli {

namespace {

void add_global_options(CLI::App& app, GlobalOptions& global) {
  auto text = [](std::optional<std::string>& target) {
    return [&target](const std::string& value) { target = value; };
  };
  app.add_option_function<std::string>("--config", text(global.config.config_file),
                                       "Config file (default ./keap-auth.json; env KEAP_AUTH_CONFIG)")
      ->type_name("FILE");
  app.add_option_function<std::string>("--credentials", text(global.config.credentials_file),
                                       "Credentials file (env KEAP_CREDENTIALS; config credentials_file)")
      ->type_name("FILE");
  app.add_option_function<std::string>("--client-id", text(global.config.client_id),
                                       "OAuth client id (env KEAP_CLIENT_ID; config client_id)")
      ->type_name("ID");
  app.add_flag("-v,--verbose", global.verbose, "Show each HTTP exchange on stderr, with every secret redacted");
  app.add_option_function<std::string>("--client-secret-file", text(global.config.client_secret_file),
                                       "File holding the client secret (never pass the secret itself in argv)")
      ->type_name("FILE");
}

void add_login(CLI::App& app, LoginOptions& options, ConfigFlags& config) {
  auto* login = app.add_subcommand("login", "Authorize once in the browser and save the token pair");
  login->add_flag("--no-browser", options.no_browser, "Only print the URL to open; start no browser");
  login->add_option("--timeout", options.timeout_seconds, "Seconds to wait for the browser (default 300)")
      ->check(CLI::Range(1, 86400))
      ->type_name("SECONDS");
  login->add_flag("--force", options.force, "Replace a credentials file of another app or client_id");
  login->add_flag("--json", options.json, "Print a summary without secrets on stdout");
  auto* begin = login->add_flag("--begin", options.begin,
                                "Two-step login: save a pending request, print the URL on stdout, exit");
  auto* finish = login->add_option("--finish", options.finish,
                                   "Two-step login: complete it with the address the browser landed on, the code, "
                                   "or - to read either from stdin")
                     ->type_name("URL_OR_CODE");
  auto* manual = login->add_flag("--manual", options.manual,
                                 "Print the URL, then read the address the browser landed on from stdin");
  begin->excludes(finish)->excludes(manual);
  finish->excludes(manual);
  login->add_option_function<std::string>(
           "--tls-cert", [&config](const std::string& value) { config.tls_cert = value; },
           "Certificate (PEM) for an https redirect_uri (default: a reusable self-signed one)")
      ->type_name("FILE");
  login->add_option_function<std::string>(
           "--tls-key", [&config](const std::string& value) { config.tls_key = value; },
           "Its private key (PEM)")
      ->type_name("FILE");
}

void add_refresh(CLI::App& app, RefreshOptions& options) {
  auto* refresh = app.add_subcommand("refresh", "Refresh the token pair now, or when a condition holds");
  refresh->add_flag("--force", options.force, "Refresh even if the conditions given do not hold");
  refresh->add_option("--if-older-than", options.if_older_than, "Only if the refresh token is at least DUR old")
      ->type_name("DUR");
  refresh->add_option("--if-expires-within", options.if_expires_within,
                      "Only if the access token expires within DUR")
      ->type_name("DUR");
  refresh->add_option("--lock-timeout", options.lock_timeout, "Longest wait for another refresh (default 60s)")
      ->type_name("DUR");
}

void add_token(CLI::App& app, TokenOptions& options) {
  auto* token = app.add_subcommand("token", "Print a valid access token (refreshing first when needed)");
  token->add_option("--min-valid", options.min_valid, "Refresh first if it expires within DUR (default 5m)")
      ->type_name("DUR");
  token->add_flag("--header", options.header, "Print 'Authorization: Bearer TOKEN' instead");
  token->add_option("--lock-timeout", options.lock_timeout, "Longest wait for another refresh (default 60s)")
      ->type_name("DUR");
}

void add_status(CLI::App& app, StatusOptions& options) {
  auto* status = app.add_subcommand("status", "Show the credentials' state and what to do next (no secrets)");
  status->add_flag("--json", options.json, "Print it as JSON on stdout");
}

void add_whoami(CLI::App& app, WhoamiOptions& options) {
  auto* whoami = app.add_subcommand("whoami", "Ask Keap who the token belongs to");
  whoami->add_flag("--json", options.json, "Print the user as JSON on stdout");
  whoami->add_option("--lock-timeout", options.lock_timeout, "Longest wait for another refresh (default 60s)")
      ->type_name("DUR");
}

void add_emulator(CLI::App& app, EmulatorOptions& options) {
  auto* emulator = app.add_subcommand("emulator", "Run a local Keap look-alike for tests, demos and offline work");
  emulator->add_option("--port", options.port, "Port on 127.0.0.1 (0 = any free port; default 9876)")
      ->check(CLI::Range(0, 65535));
  emulator->add_option("--emulated-client-id", options.client_id, "The client_id it accepts");
  emulator->add_option("--app", options.app, "The Keap app name it grants (scope full|APP.infusionsoft.com)");
  emulator->add_option("--access-ttl", options.access_ttl, "Access token lifetime (default 24h)")->type_name("DUR");
  emulator->add_option("--refresh-ttl", options.refresh_ttl, "Refresh token lifetime (default 45d)")->type_name("DUR");
  emulator->add_flag("--auto-approve", options.auto_approve, "Redirect at once instead of showing Allow / Deny");
  emulator->add_flag("--enforce-pkce", options.enforce_pkce, "Require and verify PKCE S256 (Keap likely ignores it)");
  emulator->add_flag("--legacy-errors", options.legacy_errors, "Answer a dead refresh token the pre-2020 way");
  emulator->add_option("--fault", options.fault,
                       "Make the token endpoint fail: http-500, http-502, http-503, rate-limit, slow, never-ends, "
                       "truncated, huge-body, malformed-json, missing-field, wrong-type, expires-in-zero, "
                       "expires-in-negative, expires-in-absurd")
      ->type_name("NAME");
  emulator->add_option("--userinfo-fault", options.userinfo_fault, "Make the userinfo endpoint fail (same names)")
      ->type_name("NAME");
  emulator->add_flag("--tls", options.tls,
                     "Serve HTTPS with the stored self-signed certificate (clients need it as ca_file)");
  emulator->add_option("--write-config", options.write_config,
                       "Also write a ready client config (0600, with the secret) to FILE")
      ->type_name("FILE");
}

} // namespace

void define_command_line(CLI::App& app, CommandLine& command_line) {
  app.set_version_flag("--version", std::string("keap-auth ") + KEAP_AUTH_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 other error, 2 usage or configuration, 3 denied or timed out,\n"
             "4 re-login required, 5 network/TLS/server, 130 interrupted.");
  add_global_options(app, command_line.global);
  add_login(app, command_line.login, command_line.global.config);
  add_refresh(app, command_line.refresh);
  add_token(app, command_line.token);
  add_status(app, command_line.status);
  add_whoami(app, command_line.whoami);
  add_emulator(app, command_line.emulator);
  for (auto* sub : app.get_subcommands({})) {
    sub->fallthrough(); // global options work after the subcommand too
  }
}

std::string parsed_command(const CLI::App& app) {
  auto chosen = app.get_subcommands();
  return chosen.empty() ? std::string{} : chosen.front()->get_name();
}

std::chrono::seconds duration_flag(const char* flag, const std::string& text) {
  auto duration = parse_duration(text);
  if (!duration) {
    throw Error(ExitCode::usage, std::string(flag) + " \"" + text + "\" is not a duration",
                std::string("use ") + std::string(k_duration_forms));
  }
  return *duration;
}

HttpOptions http_options(const Config& config, const GlobalOptions& global) {
  HttpOptions http;
  if (global.verbose) {
    http.log = [](const std::string& line) { std::fprintf(stderr, "keap-auth: %s\n", line.c_str()); };
  }
  http.ca_file = config.ca_file;
  http.connect_timeout = config.connect_timeout;
  http.read_timeout = config.read_timeout;
  return http;
}

RefreshSettings refresh_settings(const Config& config, const GlobalOptions& global, const std::string& lock_timeout) {
  RefreshSettings settings;
  settings.credentials_file = config.credentials_file;
  settings.token_auth = config.token_auth;
  settings.http = http_options(config, global);
  settings.lock_timeout = duration_flag("--lock-timeout", lock_timeout);
  return settings;
}

} // namespace keap::cli
