#include "light/fast_path.hpp"

#include "core/config_keys.hpp"
#include "core/expiry.hpp"
#include "store/file_store.hpp"
#include "store/token_cache.hpp"
#include "term/output.hpp"
#include "util/duration.hpp"

#include <algorithm>
#include <string_view>

namespace keap::light {

namespace {

/// What a `token` command line says, as far as the fast path reads it.
struct TokenLine {
  ConfigFlags config;
  std::string min_valid = "5m";
  bool header = false;
  bool no_cache = false;
  bool verbose = false;
};

// The value-taking flags of `token` and the global options (those that set config keys take the key
// table's flag names); every other argument sends argv to the full parser.
const char* const k_value_flags[] = {
    "--config", "--profile", "--credentials", "--client-id", "--client-secret-file", "--lock-timeout", "--min-valid"};
const char* const k_switches[] = {"--header", "--no-cache", "-v", "--verbose", "-q", "--quiet"};

/// Sets what value-taking flag `name` gives; false for a flag the fast path does not know.
bool take_value(TokenLine& line, std::string_view name, std::string value) {
  if (name == "--config") {
    line.config.config_file = std::move(value);
  } else if (name == "--profile") {
    line.config.profile = std::move(value);
  } else if (name == "--min-valid") {
    line.min_valid = std::move(value);
  } else if (auto key = key_of_flag(std::string(name))) {
    line.config.set(*key, std::string(name), value);
  } else {
    return false;
  }
  return true;
}

bool is_value_flag(std::string_view name) {
  return std::find(std::begin(k_value_flags), std::end(k_value_flags), name) != std::end(k_value_flags);
}

/// argv as `token` with known flags, or nothing.
std::optional<TokenLine> parse_token_line(int argc, char** argv) {
  TokenLine line;
  bool seen_command = false, quiet = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (argument == "token" && !seen_command) {
      seen_command = true;
    } else if (argument == "--header") {
      line.header = true;
    } else if (argument == "--no-cache") {
      line.no_cache = true;
    } else if (argument == "-v" || argument == "--verbose") {
      line.verbose = true;
    } else if (argument == "-q" || argument == "--quiet") {
      quiet = true;
    } else {
      auto equals = argument.find('=');
      auto name = argument.substr(0, equals);
      if (!is_value_flag(name)) {
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
      if (!take_value(line, name, std::move(value))) {
        return std::nullopt;
      }
    }
  }
  if (!seen_command || (quiet && line.verbose)) {
    return std::nullopt; // the full parser says what is wrong
  }
  return line;
}

/// A shared store's token from its access-token-only cache (never libpq here); nothing sends the
/// command to the full program, which reads the store and writes the cache.
std::optional<int> cached_token(const Config& config, const TokenLine& line, std::chrono::seconds min_valid) {
  if (!config.store_cache || config.store_cache_dir.empty()) {
    return std::nullopt;
  }
  auto cached =
      store::read_token_cache(store::token_cache_path(config.store_cache_dir, config.store_url, config.profile));
  auto now = util::now_seconds();
  if (line.no_cache || !cached || cached->expires_at - now <= min_valid + k_expiry_margin ||
      !store::fresh_enough(*cached, config.store_cache_ttl, now)) {
    return std::nullopt;
  }
  term::print_stdout((line.header ? "Authorization: Bearer " : "") + cached->access_token + "\n");
  return 0;
}

} // namespace

std::vector<std::string> fast_path_flags() {
  std::vector<std::string> flags;
  for (const char* name : k_value_flags) {
    flags.emplace_back(name);
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
  auto min_valid = util::parse_duration(line->min_valid);
  const auto* lock_timeout = line->config.find("lock_timeout");
  if (!min_valid || (lock_timeout && !util::parse_duration(lock_timeout->text))) {
    return std::nullopt; // the full parser names the bad value
  }
  try {
    auto environment = util::process_environment();
    if (environment("KEAP_API_KEY")) {
      return std::nullopt; // the full program checks the key it is given
    }
    auto config = load_config(line->config, environment);
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
    term::print_stdout((line->header ? header.first + ": " + header.second : secret) + "\n");
    return 0;
  } catch (const term::OutputError& error) {
    auto loud = term::loud_output(error);
    term::print_error(loud);
    return static_cast<int>(loud.code());
  } catch (const Error&) {
    return std::nullopt; // the full program reports it, with the right code and hint
  }
}

} // namespace keap::light
