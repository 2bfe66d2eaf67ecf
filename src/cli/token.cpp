#include "cli/commands.hpp"
#include "cli/fast_path.hpp"
#include "cli/output.hpp"
#include "credential_store.hpp"

namespace keap::cli {

int run_token(const GlobalOptions& global, const TokenOptions& options) {
  if (auto code = run_token_hot_path(global, options)) {
    return *code;
  }
  auto min_valid = duration_flag("--min-valid", options.min_valid);
  auto config = load_config(global.config, process_environment());
  if (auto stored = read_credentials(config.credentials_file); stored && stored->warning) {
    warn(*stored->warning);
  }
  auto result = refresh_credentials(refresh_settings(config, global, options.lock_timeout),
                                    [&](const Credentials& credentials, TimePoint now) {
                                      return access_token_expires_within(credentials, min_valid, now)
                                                 ? RefreshReason::access_token_expiring
                                                 : RefreshReason::none;
                                    });
  print_stdout((options.header ? "Authorization: Bearer " : "") + result.credentials.access_token + "\n");
  return 0;
}

} // namespace keap::cli
