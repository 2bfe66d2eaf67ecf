#include "cli/fast_path.hpp"

#include "cli/parser.hpp"
#include "credential_store.hpp"
#include "duration.hpp"
#include "expiry.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace keap::cli {

std::optional<int> run_token_hot_path(const GlobalOptions& global, const TokenOptions& options) {
  auto min_valid = parse_duration(options.min_valid);
  if (!min_valid) {
    return std::nullopt;
  }
  try {
    auto config = load_config(global.config, process_environment());
    auto stored = read_credentials(config.credentials_file);
    if (!stored || stored->warning ||
        access_token_expires_within(stored->credentials, *min_valid, now_seconds())) {
      return std::nullopt;
    }
    auto line = (options.header ? "Authorization: Bearer " : "") + stored->credentials.access_token + "\n";
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout) != 0) {
      return std::nullopt; // the full program reports the write error
    }
    return 0;
  } catch (const std::exception&) {
    return std::nullopt; // the full program reports it, with the right code and hint
  }
}

std::optional<int> try_fast_path(int argc, char** argv) {
  CLI::App app;
  CommandLine command_line;
  define_command_line(app, command_line);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error&) {
    return std::nullopt;
  }
  if (parsed_command(app) != "token") {
    return std::nullopt;
  }
  return run_token_hot_path(command_line.global, command_line.token);
}

} // namespace keap::cli
