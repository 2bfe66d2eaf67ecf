#include "cli/parser.hpp"
#include "commands/table.hpp"
#include "light/fast_path.hpp"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace keap;

TEST_CASE("cli::parser: every command of the table is on the command line once, under its own name", "[cli]") {
  auto table = commands::all();
  cli::GlobalOptions global;
  CLI::App app;
  cli::define_command_line(app, table, global);
  std::set<std::string> parsed;
  for (const auto* command : app.get_subcommands({})) {
    parsed.insert(command->get_name());
  }
  std::set<std::string> listed;
  for (const auto& command : table) {
    listed.insert(command->name());
  }
  REQUIRE(parsed == listed);
  REQUIRE(listed.size() == table.size());
}

TEST_CASE("cli::fast_path: it knows exactly the flags `token` takes", "[cli]") {
  auto table = commands::all();
  cli::GlobalOptions global;
  CLI::App app;
  cli::define_command_line(app, table, global);
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
  auto known = light::fast_path_flags();
  std::set<std::string> fast(known.begin(), known.end());
  // The fast path may know less (it then hands over), never something the parser does not.
  for (const auto& flag : fast) {
    INFO(flag);
    REQUIRE(real.count(flag) == 1);
  }
  REQUIRE(fast.count("--min-valid") == 1);
  REQUIRE(fast.count("--config") == 1);
}
