#include "atomic_file.hpp"
#include "authorization_request.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "duration.hpp"
#include "emulator/server.hpp"
#include "tls_identity.hpp"

#include <nlohmann/json.hpp>

#include <thread>

namespace keap::cli {

namespace {

std::chrono::seconds positive(std::chrono::seconds duration, const char* flag) {
  if (duration.count() == 0) {
    throw Error(ExitCode::usage, std::string(flag) + " must be longer than 0s");
  }
  return duration;
}

std::optional<emulator::Fault> fault_option(const char* flag, const std::optional<std::string>& name) {
  if (!name) {
    return std::nullopt;
  }
  auto fault = emulator::named_fault(*name);
  if (!fault) {
    throw Error(ExitCode::usage, std::string(flag) + " \"" + *name + "\" is not a fault this emulator knows",
                "use one of: " + emulator::fault_names());
  }
  return fault;
}

nlohmann::json client_config(const emulator::Settings& settings, const std::string& base_url) {
  return {{"client_id", settings.client_id},
          {"client_secret", settings.client_secret},
          {"authorize_url", base_url + "/app/oauth/authorize"},
          {"token_url", base_url + "/token"},
          {"userinfo_url", base_url + "/crm/rest/v1/oauth/connect/userinfo"}};
}

} // namespace

int run_emulator(const EmulatorOptions& options) {
  emulator::Settings settings;
  settings.client_id = options.client_id;
  settings.client_secret = random_url_safe(24); // fresh each run, so it never sits in argv or a script
  settings.app = options.app;
  settings.access_ttl = positive(duration_flag("--access-ttl", options.access_ttl), "--access-ttl");
  settings.refresh_ttl = positive(duration_flag("--refresh-ttl", options.refresh_ttl), "--refresh-ttl");
  settings.auto_approve = options.auto_approve;
  settings.enforce_pkce = options.enforce_pkce;
  settings.legacy_errors = options.legacy_errors;
  settings.token_fault = fault_option("--fault", options.fault);
  settings.userinfo_fault = fault_option("--userinfo-fault", options.userinfo_fault);

  std::optional<TlsIdentity> identity;
  if (options.tls) {
    std::vector<std::string> notices;
    identity = self_signed_identity(default_certificate_folder(), now_seconds(), notices);
    for (const auto& notice : notices) {
      say(notice);
    }
  }
  emulator::Server server(settings, options.port, identity ? &*identity : nullptr);
  auto config = client_config(settings, server.base_url());
  if (identity) {
    config["ca_file"] = identity->certificate_file; // without it, keap-auth rightly refuses the certificate
  }
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
