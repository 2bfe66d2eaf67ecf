#include "core/error.hpp"
#include "store/file_store.hpp"
#include "store/rescue.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include <sys/stat.h>

using namespace keap;
using namespace keap::store;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

ApiKey key(const std::string& text) { return {text, KeyKind::personal_access_token, util::now_seconds()}; }

std::string stored_key(CredentialStore& store) {
  return std::get<ApiKey>(store.load(k_default_profile)->credential).key;
}

} // namespace

TEST_CASE("store::file_store: a missing file is 'nothing', a commit is whole and 0600", "[store]") {
  TempDir dir;
  FileStore store(dir.file("c.json"));
  REQUIRE_FALSE(store.load(k_default_profile));
  REQUIRE(store.profiles().empty());
  auto transaction = store.lock(k_default_profile, 1s);
  REQUIRE_FALSE(transaction->current());
  transaction->commit(key("KeapAK-one"));
  REQUIRE(stored_key(store) == "KeapAK-one");
  REQUIRE(file_mode(dir.file("c.json")) == 0600u);
  REQUIRE(store.profiles() == std::vector<std::string>{k_default_profile});
  REQUIRE(store.describe(k_default_profile) == "credentials file " + dir.file("c.json"));
}

TEST_CASE("store::file_store: a second lock waits, and times out with exit 5 naming the lock", "[store]") {
  TempDir dir;
  FileStore store(dir.file("c.json"));
  auto held = store.lock(k_default_profile, 1s);
  try {
    store.lock(k_default_profile, 100ms);
    FAIL("the second lock was granted");
  } catch (const Error& error) {
    REQUIRE(error.code() == ExitCode::unavailable);
    REQUIRE(std::string(error.what()).find(dir.file("c.json.lock")) != std::string::npos);
  }
}

TEST_CASE("store::file_store: a symbolic link is followed, even a dangling one", "[store]") {
  TempDir dir;
  std::filesystem::create_directory(dir.file("volume"));
  std::filesystem::create_symlink("volume/real.json", dir.file("link.json"));
  FileStore store(dir.file("link.json"));
  REQUIRE(resolve_links(dir.file("link.json")) == dir.file("volume/real.json"));
  REQUIRE_FALSE(store.check_writable(k_default_profile));
  store.lock(k_default_profile, 1s)->commit(key("KeapAK-linked"));
  REQUIRE(std::filesystem::is_symlink(dir.file("link.json")));
  REQUIRE(std::filesystem::is_regular_file(dir.file("volume/real.json")));
  REQUIRE(file_exists(dir.file("volume/real.json.lock")));
  REQUIRE(stored_key(store) == "KeapAK-linked");
  std::filesystem::create_symlink("loop-b", dir.file("loop-a"));
  std::filesystem::create_symlink("loop-a", dir.file("loop-b"));
  REQUIRE_THROWS_WITH(resolve_links(dir.file("loop-a")), Catch::Contains("loop of symbolic links"));
}

TEST_CASE("store::file_store: check_writable makes at most the last folder and refuses what cannot work", "[store]") {
  TempDir dir;
  FileStore fresh(dir.file("new/c.json"));
  auto notice = fresh.check_writable(k_default_profile);
  REQUIRE(notice);
  REQUIRE(notice->find("created the folder") != std::string::npos);
  REQUIRE(file_mode(dir.file("new")) == 0700u);
  FileStore deep(dir.file("a/b/c.json"));
  try {
    deep.check_writable(k_default_profile);
    FAIL("a chain of folders was accepted");
  } catch (const Error& error) {
    REQUIRE(error.code() == ExitCode::usage);
    REQUIRE(std::string(error.what()).find("does not exist") != std::string::npos);
  }
  REQUIRE_FALSE(file_exists(dir.file("a")));
}

TEST_CASE("store::file_store: loose permissions are a warning on every read", "[store]") {
  TempDir dir;
  FileStore store(dir.file("c.json"));
  store.lock(k_default_profile, 1s)->commit(key("KeapAK-x"));
  ::chmod(dir.file("c.json").c_str(), 0644);
  auto loaded = store.load(k_default_profile);
  REQUIRE(loaded->warnings.size() == 1);
  REQUIRE(loaded->warnings[0].find("permissions 0644") != std::string::npos);
  REQUIRE(store.lock(k_default_profile, 1s)->current()->warnings.size() == 1);
}

TEST_CASE("store::file_store: a damaged file is an exit-4 error, and can be set aside", "[store]") {
  TempDir dir;
  write_file(dir.file("c.json"), "{ not json", 0600);
  FileStore store(dir.file("c.json"));
  try {
    store.load(k_default_profile);
    FAIL("a damaged file was read");
  } catch (const Error& error) {
    REQUIRE(error.code() == ExitCode::relogin);
  }
  auto transaction = store.lock(k_default_profile, 1s);
  auto aside = transaction->set_aside_damaged();
  REQUIRE(aside);
  REQUIRE(read_file(*aside) == "{ not json");
  REQUIRE(file_mode(*aside) == 0600u);
}

TEST_CASE("store::rescue: the first folder that takes a file, and nowhere at all", "[store][rescue]") {
  TempDir dir;
  write_file(dir.file("a-file"), "x");
  auto path = write_rescue_file({dir.file("a-file/sub"), dir.path()}, "c.json", "the pair");
  REQUIRE(path);
  REQUIRE(path->starts_with(dir.path() + "/c.json.rescue-"));
  REQUIRE(read_file(*path) == "the pair");
  REQUIRE(file_mode(*path) == 0600u);
  REQUIRE(find_rescue_files({dir.path()}, "c.json") == std::vector<std::string>{*path});
  REQUIRE_FALSE(write_rescue_file({dir.file("a-file")}, "c.json", "the pair"));

  FileStore store(dir.file("a-file/c.json"));
  auto environment = [&](const char* name) -> std::optional<std::string> {
    return std::string(name) == "STATE_DIRECTORY" ? std::optional<std::string>(dir.path()) : std::nullopt;
  };
  auto saved = rescue(store, k_default_profile, key("KeapAK-saved"), Error(ExitCode::failure, "disk full"),
                      RescueCause::rotation, environment);
  INFO(saved.what());
  REQUIRE(saved.code() == ExitCode::failure);
  REQUIRE(std::string(saved.what()).find("the NEW credentials were saved to " + dir.path() + "/c.json.rescue-") !=
          std::string::npos);
  REQUIRE(saved.hint().find("mv '" + dir.path()) != std::string::npos);
  REQUIRE(std::string(saved.what()).find("KeapAK-saved") == std::string::npos);
}
