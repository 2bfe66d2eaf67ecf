// `keap-auth list` and `keap-auth status --all`: one line per credential the store holds, never a
// secret.
#include "cli/flags.hpp"
#include "cli/inventory.hpp"
#include "term/output.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace keap::commands {

using namespace cli;
using namespace term;

namespace {

struct ListOptions {
  bool json = false;
  bool names = false; ///< --names: the profiles the store and the config know, one per line
};

void define(CLI::App& list, ListOptions& options, GlobalOptions&) {
  auto* json = list.add_flag("--json", options.json, "Print it as JSON on stdout");
  list.add_flag("--names", options.names, "Only the profile names, one per line (for completions and scripts)")
      ->excludes(json);
}

int run(const ListOptions& options, const GlobalOptions& global) {
  auto context = open_context(global);
  if (options.names) {
    auto names = context.store->profiles();
    auto configured = context.source->configured_profiles();
    names.insert(names.end(), configured.begin(), configured.end());
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string text;
    for (const auto& name : names) {
      text += name + "\n";
    }
    print_stdout(text);
    return 0;
  }
  return print_inventory(context, take_inventory(context, util::now_seconds()), options.json, false);
}

} // namespace

std::unique_ptr<Command> list_command() {
  return make_command<ListOptions>({"list",
                                    "One line per credential the store holds: kind, app, expiry, health (no secrets)",
                                    define,
                                    {every_credential_rule<ListOptions>([](const ListOptions&) { return true; })},
                                    run,
                                    [](const ListOptions& options) { return options.json; }});
}

} // namespace keap::commands
