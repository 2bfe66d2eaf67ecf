// Every committed fuzz input (seeds, and past crashes in fuzz/regressions/) through the same target
// bodies libFuzzer runs, in the normal and the sanitizer builds: a fixed crash stays fixed.
#include "support/process.hpp"
#include "targets.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

TEST_CASE("fuzz: the corpus and every past crash run clean", "[fuzz]") {
  size_t inputs = 0;
  for (const auto& target : keap::fuzz::targets()) {
    for (const char* kind : {"corpus", "regressions"}) {
      auto folder = std::filesystem::path(KEAP_SOURCE_DIR) / "fuzz" / kind / target.name;
      REQUIRE(std::filesystem::is_directory(folder));
      for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        if (entry.path().filename().string().starts_with(".")) {
          continue;
        }
        INFO(entry.path());
        target.run(keap::test::read_file(entry.path().string()));
        ++inputs;
      }
    }
  }
  REQUIRE(inputs >= keap::fuzz::targets().size() * 2);
  // Each corpus folder is a target fuzz/CMakeLists.txt builds, so each must have a body.
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(KEAP_SOURCE_DIR) / "fuzz/corpus")) {
    auto name = entry.path().filename().string();
    INFO(name);
    REQUIRE(std::any_of(keap::fuzz::targets().begin(), keap::fuzz::targets().end(),
                        [&](const auto& target) { return name == target.name; }));
  }
}
