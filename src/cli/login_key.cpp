// `keap-auth login --api-key-file FILE` and `--api-key -`: a Personal Access Token or Service Account
// Key stored as the profile's credential. The key is read from a file or stdin, never from argv.
#include "api/key_store.hpp"
#include "cli/input.hpp"
#include "cli/login.hpp"
#include "cli/output.hpp"
#include "core/destinations.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"

namespace keap::cli {

namespace {

std::string key_from_file(const std::string& path) {
  try {
    if (auto text = util::read_regular_file(path, 64 * 1024)) {
      auto first = text->find_first_not_of(" \t\r\n");
      auto last = text->find_last_not_of(" \t\r\n");
      return first == std::string::npos ? std::string() : text->substr(first, last - first + 1);
    }
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string("--api-key-file: ") + error.what(),
                "give the file that holds only the key");
  }
  throw Error(ExitCode::usage, "--api-key-file: " + path + " does not exist", "give the file that holds only the key");
}

KeyKind kind_named(const std::optional<std::string>& name) {
  if (!name) {
    return KeyKind::unknown;
  }
  return *name == "pat" ? KeyKind::personal_access_token : KeyKind::service_account_key;
}

} // namespace

int run_key_login(Context& context, const LoginOptions& options) {
  auto text = options.api_key_file ? key_from_file(*options.api_key_file) : read_secret("the API key");
  auto warnings = api::check_key(text);
  context.warn_all(warnings);
  auto location = context.config.store == "file" ? context.credentials_path() : std::string();
  ApiKey key{text, kind_named(options.key_kind), util::now_seconds(), key_origin(context.config, location)};
  auto notices = api::store_key(
      {*context.store, context.profile, context.config.lock_timeout, context.environment, options.force}, key);
  for (const auto& notice : notices) {
    context.say(notice);
  }
  auto described = context.store->describe(context.profile);
  context.say("stored " + describe_key_kind(key.kind) + " in the " + described + " (" + context.store->protection() +
              "); `keap-auth api` sends it as X-Keap-API-Key");
  if (options.json) {
    nlohmann::ordered_json out = {{"schema", 1},        {"credentials_file", context.credentials_path()},
                                  {"kind", "api_key"},  {"key_kind", key_kind_name(key.kind)},
                                  {"notices", notices}, {"warnings", warnings}};
    print_stdout(util::dump_json(out, 2));
  }
  return 0;
}

} // namespace keap::cli
