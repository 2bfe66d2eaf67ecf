#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace keap::cli {

// The light executable answers a valid token itself (fast_path.cpp); this is everything else: a token
// to refresh first, a warning to give, or an error to report.
int run_token(const CommandLine& line) {
  const auto& options = line.token;
  auto min_valid = duration_value("--min-valid", options.min_valid, true);
  auto context = open_context(line.global);
  auto result = oauth::refresh_grant(*context.store, context.profile, *context.http, context.refresh_settings(),
                                     [&](const OAuthGrant& grant, util::TimePoint now) {
                                       return access_token_expires_within(grant, min_valid, now)
                                                  ? RefreshReason::access_token_expiring
                                                  : RefreshReason::none;
                                     });
  context.warn_all(result.warnings);
  print_stdout((options.header ? "Authorization: Bearer " : "") + result.grant.access_token + "\n");
  return 0;
}

} // namespace keap::cli
