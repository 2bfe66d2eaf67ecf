#include "cli/app.hpp"
#include "cli/fast_path.hpp"
#include "cli/parser.hpp"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace keap::cli;

TEST_CASE("cli::parser: every command the parser knows has its runner, and no runner is orphaned", "[cli]") {
  CLI::App app;
  CommandLine line;
  define_command_line(app, line);
  std::set<std::string> parsed;
  for (const auto* command : app.get_subcommands({})) {
    parsed.insert(command->get_name());
  }
  std::set<std::string> dispatched;
  for (const auto& [name, runner] : runners()) {
    dispatched.insert(name);
    REQUIRE(runner != nullptr);
  }
  REQUIRE(parsed == dispatched);
  REQUIRE(parsed.size() == command_table().size());
}

TEST_CASE("cli::fast_path: it knows exactly the flags `token` takes", "[cli]") {
  CLI::App app;
  CommandLine line;
  define_command_line(app, line);
  std::set<std::string> real;
  const CLI::App* token = app.get_subcommand("token");
  for (const CLI::App* level : {static_cast<const CLI::App*>(&app), token}) {
    for (const auto* option : level->get_options()) {
      for (const auto& name : option->get_lnames()) {
        real.insert("--" + name);
      }
      for (const auto& name : option->get_snames()) {
        real.insert("-" + name);
      }
    }
  }
  real.erase("--help");
  real.erase("-h");
  real.erase("--version");
  auto known = fast_path_flags();
  std::set<std::string> fast(known.begin(), known.end());
  // The fast path may know less (it then hands over), never something the parser does not.
  for (const auto& flag : fast) {
    INFO(flag);
    REQUIRE(real.count(flag) == 1);
  }
  REQUIRE(fast.count("--min-valid") == 1);
  REQUIRE(fast.count("--config") == 1);
}
