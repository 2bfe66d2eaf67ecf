#include "atomic_file.hpp"
#include "authorization_request.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "duration.hpp"
#include "emulator/server.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <thread>

namespace keap::cli {

namespace {

std::chrono::seconds duration_option(const char* flag, const std::string& text) {
  auto duration = parse_duration(text);
  if (!duration || duration->count() == 0) {
    throw Error(ExitCode::usage, std::string(flag) + " \"" + text + "\" is not a positive duration",
                std::string("use ") + std::string(k_duration_forms));
  }
  return *duration;
}

nlohmann::json client_config(const emulator::Settings& settings, const std::string& base_url) {
  return {{"client_id", settings.client_id},
          {"client_secret", settings.client_secret},
          {"authorize_url", base_url + "/app/oauth/authorize"},
          {"token_url", base_url + "/token"},
          {"userinfo_url", base_url + "/crm/rest/v1/oauth/connect/userinfo"}};
}

} // namespace

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
  emulator->add_option("--write-config", options.write_config,
                       "Also write a ready client config (0600, with the secret) to FILE")
      ->type_name("FILE");
}

int run_emulator(const EmulatorOptions& options) {
  emulator::Settings settings;
  settings.client_id = options.client_id;
  settings.client_secret = random_url_safe(24); // fresh each run, so it never sits in argv or a script
  settings.app = options.app;
  settings.access_ttl = duration_option("--access-ttl", options.access_ttl);
  settings.refresh_ttl = duration_option("--refresh-ttl", options.refresh_ttl);
  settings.auto_approve = options.auto_approve;
  settings.enforce_pkce = options.enforce_pkce;
  settings.legacy_errors = options.legacy_errors;

  emulator::Server server(settings, options.port);
  auto config = client_config(settings, server.base_url());
  if (!options.write_config.empty()) {
    write_file_atomically(options.write_config, config.dump(2) + "\n");
  }
  const auto& interrupted = interrupt_flag();
  server.start();
  say("Keap emulator listening on " + server.base_url() + " (app " + settings.app + ")");
  say("client config for keap-auth (keep the secret private):\n" + config.dump(2));
  if (!options.write_config.empty()) {
    say("wrote that config to " + options.write_config);
  }
  say("press Ctrl-C to stop");
  while (!interrupted) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server.stop();
  say("emulator stopped");
  return 0;
}

} // namespace keap::cli
