#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "cli/output.hpp"

#include <CLI/CLI.hpp>

#include <exception>

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
  app.add_option_function<std::string>("--client-secret-file", text(global.config.client_secret_file),
                                       "File holding the client secret (never pass the secret itself in argv)")
      ->type_name("FILE");
}

} // namespace

int run(int argc, char** argv) {
  CLI::App app{"keap-auth: get and keep OAuth2 tokens for Keap's REST API"};
  app.set_version_flag("--version", std::string("keap-auth ") + KEAP_AUTH_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 other error, 2 usage or configuration, 3 denied or timed out,\n"
             "4 re-login required, 5 network/TLS/server, 130 interrupted.");
  GlobalOptions global;
  add_global_options(app, global);

  LoginOptions login;
  EmulatorOptions emulator;
  add_login(app, login);
  add_emulator(app, emulator);
  for (auto* sub : app.get_subcommands({})) {
    sub->fallthrough(); // global options work after the subcommand too
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }

  try {
    if (app.got_subcommand("login")) {
      return run_login(global, login);
    }
    return run_emulator(emulator);
  } catch (const Error& error) {
    print_error(error);
    return static_cast<int>(error.code());
  } catch (const std::exception& error) {
    print_error(Error(ExitCode::failure, std::string("unexpected failure: ") + error.what(),
                      "please report this with the command you ran"));
    return static_cast<int>(ExitCode::failure);
  }
}

} // namespace keap::cli
