#include "core/error.hpp"
#include "store/file_store.hpp"
#include "store/rescue.hpp"
#include "support/process.hpp"
#include "util/posix_file.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

using namespace keap;
using namespace keap::store;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

ApiKey key(const std::string& text) { return {text, KeyKind::personal_access_token, util::now_seconds(), ""}; }

std::string stored_key(CredentialStore& store) {
  return std::get<ApiKey>(store.read_credential(k_default_profile)->credential).key;
}

} // namespace

TEST_CASE("store::file_store: a missing file is 'nothing', a commit is whole and 0600", "[store]") {
  TempDir dir;
  FileStore store(dir.file("c.json"));
  REQUIRE_FALSE(store.read_credential(k_default_profile));
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
  auto loaded = store.read_credential(k_default_profile);
  REQUIRE(loaded->warnings.size() == 1);
  REQUIRE(loaded->warnings[0].find("permissions 0644") != std::string::npos);
  REQUIRE(store.lock(k_default_profile, 1s)->current()->warnings.size() == 1);
}

TEST_CASE("store::file_store: a damaged file is an exit-4 error, and can be set aside", "[store]") {
  TempDir dir;
  write_file(dir.file("c.json"), "{ not json", 0600);
  FileStore store(dir.file("c.json"));
  try {
    store.read_credential(k_default_profile);
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

namespace {

OAuthGrant grant_of(const std::string& app, util::TimePoint obtained) {
  OAuthGrant grant;
  grant.token_type = "bearer";
  grant.access_token = "access-" + app;
  grant.refresh_token = "refresh-" + app + "-" + std::to_string(obtained.time_since_epoch().count());
  grant.scope = "full|" + app + ".infusionsoft.com";
  grant.app = app;
  grant.expires_at = obtained + 24h;
  grant.obtained_at = obtained;
  grant.refresh_token_obtained_at = obtained;
  grant.client_id = "client";
  grant.client_secret = "secret";
  grant.token_url = "https://api.infusionsoft.com/token";
  return grant;
}

util::EnvironmentLookup state_in(const std::string& folder) {
  return [folder](const char* name) -> std::optional<std::string> {
    return std::string(name) == "STATE_DIRECTORY" ? std::optional<std::string>(folder) : std::nullopt;
  };
}

} // namespace

TEST_CASE("store::rescue: a store whose own folder cannot be made still gets its pair rescued, and nothing throws",
          "[store][rescue]") {
  TempDir dir;
  FileStore store("/proc/keap-auth-no-such-folder/c.json"); // not even root can make a folder here
  auto fresh = grant_of("ab123", util::now_seconds());
  auto saved = rescue(store, k_default_profile, fresh, Error(ExitCode::failure, "the disk is full"),
                      RescueCause::rotation, state_in(dir.path()));
  INFO(saved.what());
  REQUIRE(saved.code() == ExitCode::failure);
  REQUIRE_FALSE(saved.rescue_file().empty());
  REQUIRE(saved.rescue_file().starts_with(dir.path() + "/c.json.rescue-"));
  auto held = std::get<OAuthGrant>(parse_credential(read_file(saved.rescue_file()), saved.rescue_file()));
  REQUIRE(held.refresh_token == fresh.refresh_token);
  REQUIRE(read_file(saved.rescue_file()).find("\"rescued_for\"") != std::string::npos);
}

TEST_CASE("store::rescue: a shared temporary folder is used only through this user's own folder in it",
          "[store][rescue]") {
  TempDir dir;
  auto shared = dir.file("tmp");
  std::filesystem::create_directory(shared);
  ::chmod(shared.c_str(), 01777);
  auto folders = rescue_folders("", [&](const char* name) -> std::optional<std::string> {
    return std::string(name) == "TMPDIR" ? std::optional<std::string>(shared) : std::nullopt;
  });
  auto own = util::private_folder_name(shared);
  REQUIRE(std::find(folders.begin(), folders.end(), own) != folders.end());
  REQUIRE(std::find(folders.begin(), folders.end(), shared) == folders.end()); // never the shared folder itself
  if (::geteuid() != 0) {
    WARN("skipped: only root can plant a folder as another user");
    return;
  }
  // Someone else made this user's folder first (or a link by its name): refused, never written into.
  std::filesystem::create_directory(own);
  REQUIRE(::chown(own.c_str(), 65534, 65534) == 0);
  REQUIRE_THROWS_WITH(util::create_private_folders(own), Catch::Contains("another user owns it"));
  REQUIRE_FALSE(write_rescue_file({own}, "c.json", "the pair"));
  std::filesystem::remove(own);
  std::filesystem::create_directory_symlink(dir.path(), own);
  REQUIRE(::lchown(own.c_str(), 65534, 65534) == 0);
  REQUIRE_FALSE(write_rescue_file({own}, "c.json", "the pair"));
  std::filesystem::remove(own);
  auto mine = write_rescue_file({own}, "c.json", "the pair");
  REQUIRE(mine);
  REQUIRE(file_mode(own) == 0700u);
}

TEST_CASE("store::rescue: only this credential's own private rescue files are offered, newest by what they hold",
          "[store][rescue]") {
  TempDir dir;
  auto path = dir.file("c.json");
  FileStore store(path);
  auto now = util::now_seconds();
  store.lock(k_default_profile, 1s)->commit(grant_of("ab123", now - 10h));
  auto location = store.location(k_default_profile);
  auto plant = [&](const std::string& name, const Credential& credential, const std::string& for_location,
                   unsigned mode = 0600) {
    write_file(dir.file(name), labelled(credential, for_location, k_default_profile), mode);
    ::chmod(dir.file(name).c_str(), mode);
    return dir.file(name);
  };
  auto newer = plant("c.json.rescue-2026-01-01T00:00:00Z-1", grant_of("ab123", now - 1h), location);
  auto newest = plant("c.json.rescue-2026-01-01T00:00:00Z-2", grant_of("ab123", now - 1min), location);
  plant("c.json.rescue-2099-01-01T00:00:00Z-99999", grant_of("ab123", now - 20h), location);  // older than stored
  plant("c.json.rescue-2099-01-01T00:00:00Z-3", grant_of("zz999", now), location);            // another Keap app
  plant("c.json.rescue-2099-01-01T00:00:00Z-4", grant_of("ab123", now), "/elsewhere/c.json"); // another project
  plant("c.json.rescue-2099-01-01T00:00:00Z-5", grant_of("ab123", now), location, 0644);      // others may read it
  plant("c.json.rescue-2099-01-01T00:00:00Z-6", key("KeapAK-a-key"), location);               // another kind
  write_file(dir.file("c.json.rescue-2099-01-01T00:00:00Z-7"), serialize_credential(grant_of("ab123", now)), 0600);
  if (::geteuid() == 0) {
    auto foreign = plant("c.json.rescue-2099-01-01T00:00:00Z-8", grant_of("ab123", now), location);
    REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0); // planted by someone else
  }
  auto offered = pending_rescues(store, k_default_profile, state_in(dir.file("nothing-here")));
  REQUIRE(offered.size() == 2);
  REQUIRE(offered[0].path == newest);
  REQUIRE(offered[1].path == newer);
  REQUIRE(offered[0].restore == "mv '" + newest + "' '" + path + "'");
}
