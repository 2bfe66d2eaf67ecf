#include "commands/table.hpp"

namespace keap::commands {

// Each is defined in the file of its name. A new command is one file and one row here.
std::unique_ptr<cli::Command> login_command();
std::unique_ptr<cli::Command> refresh_command();
std::unique_ptr<cli::Command> token_command();
std::unique_ptr<cli::Command> status_command();
std::unique_ptr<cli::Command> list_command();
std::unique_ptr<cli::Command> store_command();
std::unique_ptr<cli::Command> config_command();
std::unique_ptr<cli::Command> whoami_command();
std::unique_ptr<cli::Command> logout_command();
std::unique_ptr<cli::Command> api_command();
std::unique_ptr<cli::Command> emulator_command();
std::unique_ptr<cli::Command> agent_command();

cli::CommandTable all() {
  cli::CommandTable table;
  for (auto make : {login_command, refresh_command, token_command, status_command, list_command, store_command,
                    config_command, whoami_command, logout_command, api_command, agent_command, emulator_command}) {
    table.push_back(make());
  }
  return table;
}

} // namespace keap::commands
