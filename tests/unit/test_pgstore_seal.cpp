#include "core/error.hpp"
#include "pgstore/connection.hpp"
#include "pgstore/journal.hpp"
#include "pgstore/seal.hpp"
#include "store/token_cache.hpp"
#include "support/process.hpp"
#include "util/encoding.hpp"

#include <catch2/catch.hpp>

#include <functional>

#include <sys/stat.h>

using namespace keap;
using namespace keap::pgstore;
using namespace keap::test;

namespace {

std::string key_line(const std::string& id, char fill, bool active) {
  return id + " " + util::base64(std::string(32, fill)) + (active ? " active" : "") + "\n";
}

ExitCode code_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.code();
  }
  FAIL("no error");
  return ExitCode::failure;
}

} // namespace

TEST_CASE("seal: a sealed value opens only for the store, profile and generation it was sealed for", "[pgstore]") {
  auto keyring = Keyring::parse(key_line("old", 'a', false) + key_line("new", 'b', true), "test");
  SealContext context{std::string(16, '\x01'), "acme", 4};
  auto blob = seal("{\"refresh_token\":\"rt\"}", keyring.active(), context);
  CHECK(key_id_of(blob) == "new");
  CHECK(blob.find("refresh_token") == std::string::npos);
  CHECK(open_sealed(blob, keyring, context) == "{\"refresh_token\":\"rt\"}");
  CHECK(seal("x", keyring.active(), context) != seal("x", keyring.active(), context)); // a fresh nonce each time

  CHECK(code_of([&] { open_sealed(blob, keyring, {context.store_id, "other", 4}); }) == ExitCode::failure);
  CHECK(code_of([&] { open_sealed(blob, keyring, {context.store_id, "acme", 5}); }) == ExitCode::failure);
  CHECK(code_of([&] { open_sealed(blob, keyring, {std::string(16, '\x02'), "acme", 4}); }) == ExitCode::failure);
  auto tampered = blob;
  tampered[tampered.size() - 20] ^= 1;
  CHECK(code_of([&] { open_sealed(tampered, keyring, context); }) == ExitCode::failure);
  CHECK(code_of([&] { open_sealed("not sealed", keyring, context); }) == ExitCode::failure);
  auto without = Keyring::parse(key_line("old", 'a', true), "test");
  CHECK(code_of([&] { open_sealed(blob, without, context); }) == ExitCode::usage); // its key is not in the file
  auto other_bytes = Keyring::parse(key_line("new", 'c', true), "test");
  CHECK(code_of([&] { open_sealed(blob, other_bytes, context); }) == ExitCode::failure);
}

TEST_CASE("seal: the key file is KID BASE64 [active] lines with exactly one active", "[pgstore]") {
  CHECK(Keyring::parse("# a comment\n\n" + key_line("k.1_a-b", 'a', true), "f").active().id == "k.1_a-b");
  for (const std::string& bad :
       {std::string(), key_line("a", 'a', false), key_line("a", 'a', true) + key_line("b", 'b', true),
        key_line("a", 'a', true) + key_line("a", 'b', false), std::string("a c2hvcnQ= active\n"),
        key_line("bad/id", 'a', true), key_line("a", 'a', true) + "b x y z\n",
        key_line(std::string(33, 'k'), 'a', true)}) {
    INFO(bad);
    CHECK(code_of([&] { Keyring::parse(bad, "f"); }) == ExitCode::usage);
  }
  try {
    Keyring::parse(key_line("a", 'a', true) + "b c2hvcnQ=\n", "/etc/keys");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("/etc/keys") != std::string::npos);
    CHECK(std::string(error.what()).find("line 2") != std::string::npos);
    CHECK(std::string(error.what()).find("c2hvcnQ") == std::string::npos); // never the key itself
  }
}

TEST_CASE("seal: store key generate writes a 0600 key file and keeps the old keys, no longer active", "[pgstore]") {
  TempDir dir;
  auto path = dir.file("keys/store.keys");
  auto first = add_new_key(path);
  CHECK(file_mode(path) == 0600);
  CHECK(Keyring::load(path).active().id == first);
  auto second = add_new_key(path);
  CHECK(second != first);
  auto keyring = Keyring::load(path);
  CHECK(keyring.keys().size() == 2);
  CHECK(keyring.active().id == second);
  CHECK_FALSE(keyring.find(first)->active);
  ::chmod(path.c_str(), 0640);
  CHECK(code_of([&] { Keyring::load(path); }) == ExitCode::usage);
  CHECK(code_of([&] { Keyring::load(dir.file("missing")); }) == ExitCode::usage);
}

TEST_CASE("pgstore: store_url may hold no password, and needs verify-full off loopback", "[pgstore]") {
  CHECK_NOTHROW(check_url("postgresql://keap@127.0.0.1:5432/keap?sslmode=disable", "verify-full"));
  CHECK_NOTHROW(check_url("host=/run/postgresql dbname=keap", "verify-full"));
  CHECK_NOTHROW(check_url("postgresql://keap@db.internal/keap?sslmode=verify-full", "verify-full"));
  for (const std::string bad :
       {"postgresql://keap:pw@127.0.0.1/keap", "host=127.0.0.1 password=pw dbname=keap",
        "postgresql://keap@db.internal/keap", "postgresql://keap@db.internal/keap?sslmode=require",
        "postgresql://keap@127.0.0.1,db.internal/keap?sslmode=prefer", "host='unclosed"}) {
    INFO(bad);
    try {
      check_url(bad, "verify-full");
      FAIL("accepted");
    } catch (const Error& error) {
      CHECK(error.code() == ExitCode::usage);
      CHECK(std::string(error.what()).find("pw") == std::string::npos);
    }
  }
  CHECK(display_of("postgresql://keap@db.internal:6432/keap?sslmode=verify-full") == "db.internal:6432/keap");
}

TEST_CASE("pgstore: a journal's text is parsed, and anything else is not a journal", "[pgstore]") {
  std::string params = "[";
  for (int at = 0; at < 21; ++at) {
    params += std::string(at ? "," : "") + (at == 5 ? "null" : "\"v\"");
  }
  params += "]";
  auto good = R"({"profile":"acme","from_generation":3,"to_generation":4,"sealed":"4b4101","params":)" + params + "}";
  auto entry = parse_journal(good);
  REQUIRE(entry);
  CHECK(entry->profile == "acme");
  CHECK(entry->sealed == "KA\x01");
  CHECK_FALSE(entry->params[5].has_value());
  CHECK_FALSE(parse_journal(""));
  CHECK_FALSE(parse_journal("[]"));
  CHECK_FALSE(parse_journal(R"({"profile":"../etc","from_generation":3,"to_generation":4,"sealed":"4b","params":)" +
                            params + "}"));
  CHECK_FALSE(parse_journal(R"({"profile":"acme","from_generation":3,"to_generation":9,"sealed":"4b","params":)" +
                            params + "}"));
  CHECK_FALSE(parse_journal(R"({"profile":"acme","from_generation":3,"to_generation":4,"sealed":"zz","params":)" +
                            params + "}"));
  CHECK_FALSE(parse_journal(R"({"profile":"acme","from_generation":3,"to_generation":4,"sealed":"4b","params":[]})"));
}

TEST_CASE("token cache: only an access token, 0600, read back only when it is ours and private", "[pgstore]") {
  TempDir dir;
  auto path = store::token_cache_path(dir.file("cache"), "postgresql://keap@db/keap", "acme");
  CHECK(path.find("db/keap") == std::string::npos); // the URL is not written down
  CHECK(path != store::token_cache_path(dir.file("cache"), "postgresql://keap@db2/keap", "acme"));
  auto checked = util::TimePoint(std::chrono::seconds(1900000000));
  store::write_token_cache(path, {"at-123", util::TimePoint(std::chrono::seconds(2000000000)), 7, checked});
  CHECK(file_mode(path) == 0600);
  auto cached = store::read_token_cache(path);
  REQUIRE(cached);
  CHECK(cached->access_token == "at-123");
  CHECK(cached->generation == 7);
  // Served unconfirmed for the ttl only: a change made on another host is seen within it.
  CHECK(store::fresh_enough(*cached, std::chrono::seconds(60), checked + std::chrono::seconds(59)));
  CHECK_FALSE(store::fresh_enough(*cached, std::chrono::seconds(60), checked + std::chrono::seconds(60)));
  CHECK_FALSE(store::fresh_enough(*cached, std::chrono::seconds(60), checked - std::chrono::seconds(1)));
  CHECK_FALSE(store::parse_token_cache(R"({"access_token":"ab","expires_at":"2030-01-01T00:00:00Z","generation":1})"));
  ::chmod(path.c_str(), 0644);
  CHECK_FALSE(store::read_token_cache(path));
  CHECK_FALSE(
      store::parse_token_cache(R"({"access_token":"a\nb","expires_at":"2030-01-01T00:00:00Z","generation":1})"));
  CHECK_FALSE(store::parse_token_cache(R"({"access_token":"ab","expires_at":"soon","generation":1})"));
  CHECK_FALSE(store::parse_token_cache("{"));
  store::forget_token_cache(path);
  CHECK_FALSE(file_exists(path));
}
