// `keap-auth agent`: fresh tokens for every service on the host, over a Unix socket, loopback TCP and
// files, until SIGTERM. The work is agent/'s; this is its command line.
#include "agent/agent.hpp"

#include "cli/flags.hpp"

#include <CLI/CLI.hpp>

namespace keap::commands {

using namespace cli;

namespace {

void define(CLI::App& agent, agent::Flags& flags, GlobalOptions&) {
  agent
      .add_option("--listen", flags.listen,
                  "Where to listen: unix:PATH or tcp:HOST:PORT on loopback (repeatable; "
                  "config agent.listen)")
      ->type_name("ADDR")
      ->allow_extra_args(false);
  // Its own --profile, repeatable: after `agent` it names a profile to serve (before it, as everywhere,
  // the default profile, which the agent serves too).
  agent.add_option("--profile", flags.profiles, "A profile to serve (repeatable; config agent.profiles; default all)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  agent
      .add_option("--sink", flags.sinks,
                  "Keep PROFILE's token in PATH, as token, header, json or env (repeatable; "
                  "config agent.sinks)")
      ->type_name("PROFILE:PATH[:FORMAT]")
      ->allow_extra_args(false);
  agent.add_option("--log-format", flags.log_format, "text or json (config agent.log_format)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
}

int run(const agent::Flags& flags, const GlobalOptions& global) { return agent::run(global, flags); }

} // namespace

std::unique_ptr<Command> agent_command() {
  return make_command<agent::Flags>(
      {"agent", "Serve fresh tokens to local services over a Unix socket, loopback TCP and files", define, {}, run});
}

} // namespace keap::commands
