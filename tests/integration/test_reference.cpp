// The man page and the completions are generated from the program's own tables; these tests prove it
// against the program itself: nothing --help shows is missing from them, and the shells accept them.
#include "core/config.hpp"
#include "core/config_keys.hpp"
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace keap::test;

namespace {

std::string share(const std::string& name) { return std::string(KEAP_BINARY_DIR) + "/share/" + name; }

/// The program's path on PATH, or empty (the test support runs argv[0] as given).
std::string program(const std::string& name) {
  auto found = run({"/bin/sh", "-c", "command -v " + name});
  return found.exit_code == 0 ? found.out.substr(0, found.out.find('\n')) : "";
}

/// Every --flag a --help text names.
std::set<std::string> flags_in(const std::string& help) {
  std::set<std::string> flags;
  std::regex flag("(^|[ ,])(--[a-z][a-z0-9-]*)");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag); it != std::sregex_iterator(); ++it) {
    flags.insert((*it)[2]);
  }
  return flags;
}

/// The commands --help lists under "Subcommands:".
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> names;
  auto at = help.find("Subcommands:");
  if (at == std::string::npos) {
    return names;
  }
  std::regex line("\\n  ([a-z]+) ");
  auto rest = help.substr(at);
  for (auto it = std::sregex_iterator(rest.begin(), rest.end(), line); it != std::sregex_iterator(); ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

std::string completions(const std::vector<std::string>& words, const std::map<std::string, std::string>& env = {}) {
  std::string array;
  for (const auto& word : words) {
    array += " '" + word + "'";
  }
  auto script = "source '" + share("keap-auth.bash") + "'; COMP_WORDS=(" + array +
                "); COMP_CWORD=" + std::to_string(words.size() - 1) +
                "; _keap_auth; printf '%s\\n' \"${COMPREPLY[@]}\"";
  auto result = run({"/bin/bash", "-c", script}, env);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

} // namespace

TEST_CASE("man page: every command and flag --help shows, every config key and exit code, and it renders cleanly",
          "[reference]") {
  auto page = read_file(share("keap-auth.1"));
  auto unescaped = std::regex_replace(page, std::regex("\\\\-"), "-");
  std::vector<std::vector<std::string>> paths{{}};
  for (size_t at = 0; at < paths.size(); ++at) {
    auto argv = std::vector<std::string>{keap_auth()};
    argv.insert(argv.end(), paths[at].begin(), paths[at].end());
    argv.push_back("--help");
    auto help = run(argv);
    REQUIRE(help.exit_code == 0);
    std::string name = "keap-auth";
    for (const auto& word : paths[at]) {
      name += " " + word;
    }
    INFO(name);
    if (!paths[at].empty()) {
      CHECK(unescaped.find(".SS \"" + name + "\"") != std::string::npos);
    }
    for (const auto& flag : flags_in(help.out)) {
      INFO(flag);
      CHECK(std::regex_search(unescaped, std::regex("\\n\\.B ([^\\n]*,)?" + flag + "([ ,\\n])")));
    }
    for (const auto& command : subcommands_in(help.out)) {
      auto next = paths[at];
      next.push_back(command);
      paths.push_back(next);
    }
  }
  CHECK(paths.size() > 15); // login ... store key generate: the walk found the nested commands
  for (const auto& key : keap::config_key_names()) {
    CHECK(unescaped.find(".B " + key + "\n") != std::string::npos);
  }
  auto footer = run({keap_auth(), "--help"}).out;
  for (const char* code : {"0", "1", "2", "3", "4", "5", "6", "7", "130"}) {
    CHECK(footer.find(std::string(code) + " ") != std::string::npos);
    CHECK(page.find(std::string(".B ") + code + "\n") != std::string::npos);
  }
  if (auto groff = program("groff"); !groff.empty()) {
    auto rendered = run({groff, "-man", "-Tutf8", "-ww", "-z", share("keap-auth.1")});
    CHECK(rendered.exit_code == 0);
    CHECK(rendered.err.empty()); // -ww: every warning
  } else {
    WARN("groff is not installed; the man page was not rendered");
  }
}

TEST_CASE("bash completion: commands, nested commands, flags, fixed values and profile names", "[reference]") {
  CHECK(completions({"keap-auth", "logi"}) == "login\n");
  CHECK(completions({"keap-auth", "lo"}) == "login\nlogout\n");
  CHECK(completions({"keap-auth", "store", "k"}) == "key\n");
  CHECK(completions({"keap-auth", "store", "key", "g"}) == "generate\n");
  CHECK(completions({"keap-auth", "login", "--key-kind", ""}) == "pat\nsak\n");
  CHECK(completions({"keap-auth", "refresh", "--a"}) == "--all\n");
  CHECK(completions({"keap-auth", "login", "--if"}) == "--if-needed\n");
  // After an on/off flag the command's flags go on; a short name completes like its long one.
  CHECK(completions({"keap-auth", "refresh", "--all", "--if"}) == "--if-older-than\n--if-expires-within\n");
  CHECK(completions({"keap-auth", "api", "-X", "P"}) == "POST\nPUT\nPATCH\n");
  auto faults = completions({"keap-auth", "emulator", "--fault", "http-5"});
  CHECK(faults == "http-500\nhttp-502\nhttp-503\n");
  CHECK(completions({"keap-auth", "--verb"}) == "--verbose\n");

  // Profile names come from the program: the store's and the config's.
  TempDir dir;
  write_file(dir.file("keap-auth.json"),
             R"({"client_id": "c", "credentials_dir": "creds", "profiles": {"acme": {}, "globex": {}}})", 0600);
  auto bin = std::string(KEAP_BINARY_DIR);
  auto names = completions({"keap-auth", "token", "--profile", ""},
                           {{"PATH", bin + ":/usr/bin:/bin"}, {"KEAP_AUTH_CONFIG", dir.file("keap-auth.json")}});
  CHECK(names.find("acme\n") != std::string::npos);
  CHECK(names.find("globex\n") != std::string::npos);
}

TEST_CASE("zsh and fish completions parse in their shells", "[reference]") {
  for (const auto& [shell, file, check] : std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>{
           {"zsh", "_keap-auth", {"-n"}}, {"fish", "keap-auth.fish", {"--no-execute"}}}) {
    auto path = program(shell);
    if (path.empty()) {
      WARN(shell + " is not installed; its completion was not checked");
      continue;
    }
    auto argv = std::vector<std::string>{path};
    argv.insert(argv.end(), check.begin(), check.end());
    argv.push_back(share(file));
    auto result = run(argv);
    INFO(shell << ": " << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
  }
}
