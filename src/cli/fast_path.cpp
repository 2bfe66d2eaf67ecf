#include "cli/fast_path.hpp"

#include "cli/command_line.hpp"
#include "cli/output.hpp"
#include "core/expiry.hpp"
#include "store/file_store.hpp"
#include "store/token_cache.hpp"
#include "util/duration.hpp"

#include <string_view>

namespace keap::cli {

namespace {

struct ValueFlag {
  const char* name;
  std::optional<std::string> GlobalOptions::*global;
  std::optional<std::string> ConfigFlags::*config;
  std::string TokenOptions::*token;
};

// The value-taking flags of `token` and the global options; every other argument sends argv to the
// full parser.
const ValueFlag k_value_flags[] = {
    {"--config", nullptr, &ConfigFlags::config_file, nullptr},
    {"--credentials", nullptr, &ConfigFlags::credentials_file, nullptr},
    {"--profile", nullptr, &ConfigFlags::profile, nullptr},
    {"--client-id", nullptr, &ConfigFlags::client_id, nullptr},
    {"--client-secret-file", nullptr, &ConfigFlags::client_secret_file, nullptr},
    {"--lock-timeout", nullptr, &ConfigFlags::lock_timeout, nullptr},
    {"--min-valid", nullptr, nullptr, &TokenOptions::min_valid},
};
const char* const k_switches[] = {"--header", "--no-cache", "-v", "--verbose", "-q", "--quiet"};

/// argv as `token` with known flags, or nothing.
std::optional<CommandLine> parse_token_line(int argc, char** argv) {
  CommandLine line;
  bool seen_command = false, quiet = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (argument == "token" && !seen_command) {
      seen_command = true;
      continue;
    }
    if (argument == "--header") {
      line.token.header = true;
      continue;
    }
    if (argument == "--no-cache") {
      line.token.no_cache = true;
      continue;
    }
    if (argument == "-v" || argument == "--verbose") {
      line.global.verbose = true;
      continue;
    }
    if (argument == "-q" || argument == "--quiet") {
      quiet = true;
      continue;
    }
    auto equals = argument.find('=');
    auto name = argument.substr(0, equals);
    const ValueFlag* flag = nullptr;
    for (const auto& candidate : k_value_flags) {
      if (name == candidate.name) {
        flag = &candidate;
      }
    }
    if (flag == nullptr) {
      return std::nullopt;
    }
    std::string value;
    if (equals != std::string_view::npos) {
      value = std::string(argument.substr(equals + 1));
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return std::nullopt;
    }
    if (flag->config) {
      line.global.config.*flag->config = value;
    } else {
      line.token.*flag->token = value;
    }
  }
  if (!seen_command || (quiet && line.global.verbose)) {
    return std::nullopt; // the full parser says what is wrong
  }
  return line;
}

/// A shared store's token from its access-token-only cache (never libpq here); nothing sends the
/// command to the full program, which reads the store and writes the cache.
std::optional<int> cached_token(const Config& config, const CommandLine& line, std::chrono::seconds min_valid) {
  if (!config.store_cache || config.store_cache_dir.empty()) {
    return std::nullopt;
  }
  auto cached = store::read_token_cache(store::token_cache_path(config.store_cache_dir, config.store_url, config.profile));
  auto now = util::now_seconds();
  if (line.token.no_cache || !cached || cached->expires_at - now <= min_valid + k_expiry_margin ||
      !store::fresh_enough(*cached, config.store_cache_ttl, now)) {
    return std::nullopt;
  }
  print_stdout((line.token.header ? "Authorization: Bearer " : "") + cached->access_token + "\n");
  return 0;
}

} // namespace

std::vector<std::string> fast_path_flags() {
  std::vector<std::string> flags;
  for (const auto& flag : k_value_flags) {
    flags.emplace_back(flag.name);
  }
  for (const char* name : k_switches) {
    flags.emplace_back(name);
  }
  return flags;
}

std::optional<int> try_fast_path(int argc, char** argv) {
  auto line = parse_token_line(argc, argv);
  if (!line) {
    return std::nullopt;
  }
  auto min_valid = util::parse_duration(line->token.min_valid);
  if (!min_valid || (line->global.config.lock_timeout && !util::parse_duration(*line->global.config.lock_timeout))) {
    return std::nullopt; // the full parser names the bad value
  }
  try {
    auto environment = util::process_environment();
    if (environment("KEAP_API_KEY")) {
      return std::nullopt; // the full program checks the key it is given
    }
    auto config = load_config(line->global.config, environment);
    if (config.store == "postgres") {
      return cached_token(config, *line, *min_valid);
    }
    auto loaded = store::read_credentials_file(config.credentials_file);
    if (!loaded || !loaded->warnings.empty()) {
      return std::nullopt;
    }
    const auto* grant = std::get_if<OAuthGrant>(&loaded->credential);
    if (grant && access_token_expires_within(*grant, *min_valid, util::now_seconds())) {
      return std::nullopt;
    }
    auto header = credential_header(loaded->credential);
    auto secret = grant ? grant->access_token : std::get<ApiKey>(loaded->credential).key;
    print_stdout((line->token.header ? header.first + ": " + header.second : secret) + "\n");
    return 0;
  } catch (const OutputError& error) {
    auto loud = loud_output(error);
    print_error(loud);
    return static_cast<int>(loud.code());
  } catch (const Error&) {
    return std::nullopt; // the full program reports it, with the right code and hint
  }
}

} // namespace keap::cli
