#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "store/file_store.hpp"

namespace keap::cli {

Context open_context(const GlobalOptions& global) {
  Context context;
  context.environment = util::process_environment();
  context.config = load_config(global.config, context.environment);
  context.store = std::make_unique<store::FileStore>(context.config.credentials_file);
  context.profile = store::k_default_profile;
  net::HttpOptions http;
  if (global.verbose) {
    http.log = [](const std::string& line) { say(line); };
  }
  http.ca_file = context.config.ca_file;
  http.connect_timeout = context.config.connect_timeout;
  http.read_timeout = context.config.read_timeout;
  context.http = std::make_unique<net::HttpClient>(std::move(http));
  return context;
}

net::RetryPolicy Context::retry_policy() const {
  net::RetryPolicy policy;
  policy.deadline = config.refresh_deadline;
  return policy;
}

oauth::RefreshSettings Context::refresh_settings() const { return {config.lock_timeout, retry_policy(), environment}; }

void Context::warn_all(const std::vector<std::string>& warnings) const {
  for (const auto& warning : warnings) {
    warn(warning);
  }
}

} // namespace keap::cli
