#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "emulator/routes.hpp"
#include "emulator/server.hpp"
#include "net/crypto.hpp"
#include "net/tls_identity.hpp"
#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

#include <thread>

namespace keap::cli {

namespace {

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
  rest.quota_per_day = options.quota_per_day;
  rest.throttle_per_minute = options.throttle_per_minute;
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
        path + " (store it with `keap-auth --config " + config_file + " login --api-key-file " + path +
        " --key-kind " + kind + "`)");
  }
}

} // namespace

int run_emulator(const CommandLine& line) {
  const auto& options = line.emulator;
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

} // namespace keap::cli
