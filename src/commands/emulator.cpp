// `keap-auth emulator`: a local Keap look-alike, for tests, demos and offline work.
#include "cli/context.hpp"
#include "cli/flags.hpp"
#include "core/config_keys.hpp"
#include "emulator/faults.hpp"
#include "emulator/routes.hpp"
#include "emulator/server.hpp"
#include "net/crypto.hpp"
#include "net/tls_identity.hpp"
#include "term/output.hpp"
#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <charconv>

#include <thread>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct EmulatorOptions {
  int port = 9876;
  std::string client_id = "keap-emulator-client";
  std::string app = "ab123";
  std::string access_ttl = "24h";
  std::string refresh_ttl = "45d";
  bool auto_approve = false;
  bool enforce_pkce = false;
  bool legacy_errors = false;
  std::string write_config;
  std::optional<std::string> fault;          ///< a named fault of the token endpoint
  std::optional<std::string> userinfo_fault; ///< a named fault of the userinfo endpoint
  bool tls = false;                          ///< serve HTTPS with the stored self-signed certificate
  int contacts = 100;                        ///< seeded REST API contacts
  std::vector<std::string> api_limits;
  long long large_file_bytes = 0;
  double api_limits_scale = 1.0;
  std::vector<std::string> api_faults;   ///< NAME[:COUNT] for the next API calls
  std::vector<std::string> api_switches; ///< where Keap's behaviour is unknown: which way to play it
  std::string retry_after;               ///< a Retry-After on API 429s
  bool log_requests = false;             ///< each request on stderr: what Keap would have seen
};

void define(CLI::App& emulator, EmulatorOptions& options, GlobalOptions&) {
  emulator.add_option("--port", options.port, "Port on 127.0.0.1 (0 = any free port; default 9876)")
      ->check(CLI::Range(0, 65535));
  emulator.add_option("--emulated-client-id", options.client_id, "The client_id it accepts");
  emulator.add_option("--app", options.app, "The Keap app name it grants (scope full|APP.infusionsoft.com)");
  emulator.add_option("--access-ttl", options.access_ttl, "Access token lifetime (default 24h)")
      ->type_name("DUR")
      ->check(duration_check(true));
  emulator.add_option("--refresh-ttl", options.refresh_ttl, "Refresh token lifetime (default 45d)")
      ->type_name("DUR")
      ->check(duration_check(true));
  emulator.add_flag("--auto-approve", options.auto_approve, "Redirect at once instead of showing Allow / Deny");
  emulator.add_flag("--enforce-pkce", options.enforce_pkce, "Require and verify PKCE S256 (Keap likely ignores it)");
  emulator.add_flag("--legacy-errors", options.legacy_errors, "Answer a dead refresh token the pre-2020 way");
  std::vector<std::string> faults;
  for (const auto& named : emulator::named_faults()) {
    faults.emplace_back(named.name);
  }
  emulator.add_option("--fault", options.fault, "Make the token endpoint fail: " + emulator::fault_names())
      ->type_name("NAME")
      ->check(CLI::IsMember(faults));
  emulator.add_option("--userinfo-fault", options.userinfo_fault, "Make the userinfo endpoint fail (same names)")
      ->type_name("NAME")
      ->check(CLI::IsMember(faults));
  emulator.add_flag("--tls", options.tls,
                    "Serve HTTPS with the stored self-signed certificate (clients need it as ca_file)");
  emulator.add_option("--contacts", options.contacts, "Contacts the REST API starts with (default 100)")
      ->check(CLI::Range(0, 1000000));
  emulator
      .add_option("--api-limit", options.api_limits,
                  "Set one of Keap's API limits: NAME=N with NAME one of " + emulator::ApiLimits::names() +
                      " (repeatable; after --api-limits-scale)")
      ->type_name("NAME=N")
      ->allow_extra_args(false);
  emulator.add_option("--api-limits-scale", options.api_limits_scale, "Multiply every API limit (default 1)")
      ->check(CLI::Range(0.0001, 1000.0));
  emulator
      .add_option("--large-file-bytes", options.large_file_bytes,
                  "Serve a file of N bytes at v2/files/" + std::to_string(emulator::k_large_file_id) +
                      "/data, streamed (for downloads through the agent)")
      ->check(CLI::Range(0LL, 1LL << 40));
  emulator
      .add_option("--api-fault", options.api_faults,
                  "Fail the next API calls: NAME[:COUNT] with NAME one of 401, 429, quota, 502, 503, 504, reset, "
                  "slow (repeatable; COUNT default 1)")
      ->type_name("NAME[:COUNT]")
      ->allow_extra_args(false);
  emulator
      .add_option("--api-switch", options.api_switches,
                  "Play an unknown of Keap's API one way: " + util::join(emulator::api_switch_list()) + " (repeatable)")
      ->type_name("NAME")
      ->check(CLI::IsMember(emulator::api_switch_list()))
      ->allow_extra_args(false);
  emulator.add_option("--retry-after", options.retry_after, "Send this Retry-After with API 429s (Keap sends none)")
      ->type_name("VALUE");
  emulator.add_flag("--log-requests", options.log_requests,
                    "Print each request on stderr: method, path, status, framing and credential headers (redacted)");
  emulator
      .add_option("--write-config", options.write_config,
                  "Also write a ready client config (0600, with the secret) to FILE")
      ->type_name("FILE");
}

std::optional<emulator::Fault> fault_option(const std::optional<std::string>& name) {
  return name ? emulator::named_fault(*name) : std::nullopt; // the parser has checked the name
}

void write_client_config(const std::string& path, const nlohmann::json& config) {
  try {
    if (util::create_private_folder(util::folder_of(path))) {
      say("created the folder " + util::absolute_path(util::folder_of(path)) + " (mode 0700)");
    }
    util::write_file_atomically(path, util::dump_json(config, 2));
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string("--write-config: ") + error.what(),
                "give a file in a folder that exists and is writable");
  }
}

emulator::RestSettings rest_settings(const EmulatorOptions& options) {
  emulator::RestSettings rest;
  rest.contacts = options.contacts;
  rest.large_file_bytes = options.large_file_bytes;
  rest.limits.scale(options.api_limits_scale);
  for (const auto& text : options.api_limits) {
    auto equals = text.find('=');
    long long value = 0;
    auto digits = equals == std::string::npos ? std::string() : text.substr(equals + 1);
    auto [end, failed] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (equals == std::string::npos || digits.empty() || failed != std::errc{} || end != digits.data() + digits.size() ||
        value < 1 || !rest.limits.set(text.substr(0, equals), value)) {
      throw Error(ExitCode::usage, "--api-limit " + util::printable_excerpt(text, 64) + ": not NAME=N",
                  "NAME is one of " + emulator::ApiLimits::names() + "; N a whole number of 1 or more");
    }
  }
  rest.retry_after = options.retry_after;
  for (const auto& name : options.api_switches) {
    emulator::apply_api_switch(rest, name); // the parser has checked the name
  }
  return rest;
}

/// --api-fault NAME[:COUNT], queued in the order given.
void queue_api_faults(emulator::RestApi& rest, const std::vector<std::string>& faults) {
  for (const auto& text : faults) {
    auto colon = text.find(':');
    auto fault = emulator::api_fault_named(text.substr(0, colon));
    int count = 1;
    if (colon != std::string::npos) {
      auto digits = text.substr(colon + 1);
      count = digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos
                  ? 0
                  : std::stoi(digits);
    }
    if (!fault || count < 1) {
      throw Error(ExitCode::usage, "--api-fault " + util::printable_excerpt(text, 40) + ": not NAME[:COUNT]",
                  "NAME is one of " + util::join(emulator::api_fault_list()) + "; COUNT a number from 1");
    }
    rest.add_fault(*fault, count);
  }
}

/// The keys the emulator accepts: written beside the config (0600) when there is one, so they reach
/// `keap-auth login --api-key-file` without passing through a terminal or a command line.
void publish_keys(const emulator::RestApi& rest, const std::string& config_file) {
  if (config_file.empty()) {
    say("API keys it accepts (X-Keap-API-Key; keep them private):\n  Personal Access Token " +
        rest.personal_access_token() + "\n  Service Account Key   " + rest.service_account_key());
    return;
  }
  auto folder = util::folder_of(config_file);
  for (auto [kind, key] : {std::pair{"pat", &rest.personal_access_token()}, {"sak", &rest.service_account_key()}}) {
    auto path = folder + "/keap-emulator-" + kind + ".txt";
    try {
      util::write_file_atomically(path, *key + "\n");
    } catch (const util::FileError& error) {
      throw Error(ExitCode::usage, std::string("--write-config: ") + error.what(),
                  "give a file in a folder that exists and is writable");
    }
    // With the config named: without it, the key would go to the default state folder, and `api` would
    // send it to the real Keap.
    say(std::string(kind == std::string("pat") ? "Personal Access Token" : "Service Account Key") + " written to " +
        path + " (store it with `keap-auth --config " + config_file + " login --api-key-file " + path + " --key-kind " +
        kind + "`)");
  }
}

int run(const EmulatorOptions& options, const GlobalOptions&) {
  emulator::Settings settings;
  settings.client_id = options.client_id;
  settings.client_secret = net::random_url_safe(24); // fresh each run, so it never sits in argv or a script
  settings.app = options.app;
  settings.access_ttl = duration_value("--access-ttl", options.access_ttl);
  settings.refresh_ttl = duration_value("--refresh-ttl", options.refresh_ttl);
  settings.auto_approve = options.auto_approve;
  settings.enforce_pkce = options.enforce_pkce;
  settings.legacy_errors = options.legacy_errors;
  settings.token_fault = fault_option(options.fault);
  settings.userinfo_fault = fault_option(options.userinfo_fault);

  auto environment = util::process_environment();
  std::optional<net::TlsIdentity> identity;
  if (options.tls) {
    std::vector<std::string> notices;
    identity = net::self_signed_identity(net::default_certificate_folder(environment), util::now_seconds(), notices);
    for (const auto& notice : notices) {
      say(notice);
    }
  }
  emulator::Server server(settings, options.port, identity ? &*identity : nullptr, rest_settings(options));
  queue_api_faults(server.rest(), options.api_faults);
  auto config = emulator::client_config(settings.client_id, settings.client_secret, server.base_url());
  // What a client of this emulator must know to predict it: where the credentials go (beside the
  // config), and how long its refresh tokens live.
  config["credentials_file"] = "keap-credentials.json";
  config["refresh_token_lifetime"] = options.refresh_ttl;
  if (identity) {
    config["ca_file"] = identity->certificate_file; // without it, keap-auth rightly refuses the certificate
  }
  if (!options.write_config.empty()) {
    write_client_config(options.write_config, config);
  }
  if (options.log_requests) {
    server.set_request_log([](const std::string& request) { say("request: " + request); });
  }
  server.start();
  say("Keap emulator listening on " + server.base_url() + " (app " + settings.app + ")");
  say("client config for keap-auth (keep the secret private):\n" + util::dump_json(config, 2));
  if (!options.write_config.empty()) {
    say("wrote that config to " + options.write_config);
  }
  publish_keys(server.rest(), options.write_config);
  say("press Ctrl-C to stop");
  util::DeferInterrupts running; // Ctrl-C stops the server cleanly instead of killing it mid-answer
  while (!util::interrupt_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server.stop();
  say("emulator stopped");
  return 0;
}

/// The emulator reads no config: a flag that sets one would be silently ignored.
Rule<EmulatorOptions> ignores(const char* key, const char* flag, const char* hint) {
  return {[key](const EmulatorOptions&, const GlobalOptions& global) { return global.config.find(key) != nullptr; },
          std::string(flag) + " has no effect on `keap-auth emulator`, which reads no config", hint};
}

} // namespace

std::unique_ptr<Command> emulator_command() {
  return make_command<EmulatorOptions>(
      {"emulator",
       "Run a local Keap look-alike for tests, demos and offline work",
       define,
       {ignores("client_id", "--client-id", "use --emulated-client-id for the client it accepts"),
        ignores("client_secret", "--client-secret-file", "leave it out"),
        ignores("credentials_file", "--credentials", "leave it out"),
        {[](const EmulatorOptions&, const GlobalOptions& global) { return global.config.config_file.has_value(); },
         "--config has no effect on `keap-auth emulator`, which reads no config", "leave it out"},
        {[](const EmulatorOptions&, const GlobalOptions& global) { return global.config.profile.has_value(); },
         "--profile has no effect on `keap-auth emulator`", "leave it out"}},
       run});
}

} // namespace keap::commands
