#include "support/process.hpp"
#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/file_lock.hpp"
#include "util/posix_file.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using keap::util::AtomicFile;
using keap::util::create_private_folder;
using keap::util::create_private_folders;
using keap::util::FileError;
using keap::util::FileLock;
using keap::util::read_regular_file;
using keap::util::write_file_atomically;
using keap::util::write_new_private_file;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// Sets the umask for one scope.
struct Umask {
  explicit Umask(mode_t mask) : previous(::umask(mask)) {}
  ~Umask() { ::umask(previous); }
  mode_t previous;
};

/// Caps the size of any file this process writes, for one scope: the way to make a write fail
/// half-way whoever runs the test (root ignores folder permissions).
struct FileSizeLimit {
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &previous);
    previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{bytes, previous.rlim_max};
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous);
    std::signal(SIGXFSZ, previous_handler);
  }
  rlimit previous{};
  void (*previous_handler)(int) = nullptr;
};

size_t entries(const std::string& folder) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(folder), {}));
}

} // namespace

TEST_CASE("util::atomic_file: 0600 whatever the umask, no temp file left", "[files]") {
  TempDir dir;
  Umask open_umask(0);
  auto path = dir.file("creds.json");
  write_file_atomically(path, "one");
  REQUIRE(read_file(path) == "one");
  REQUIRE(file_mode(path) == 0600u);
  write_file_atomically(path, "two");
  REQUIRE(read_file(path) == "two");
  REQUIRE(entries(dir.path()) == 1);
}

TEST_CASE("util::atomic_file: a write that fails half-way leaves the old file whole and no temp file", "[files]") {
  TempDir dir;
  auto path = dir.file("creds.json");
  write_file_atomically(path, "old");
  {
    FileSizeLimit limit(1024);
    REQUIRE_THROWS_AS(write_file_atomically(path, std::string(4096, 'n')), FileError);
  }
  REQUIRE(read_file(path) == "old");
  REQUIRE(entries(dir.path()) == 1); // the temp file was removed
}

TEST_CASE("util::atomic_file: without commit() nothing replaces the file", "[files]") {
  TempDir dir;
  auto path = dir.file("creds.json");
  write_file_atomically(path, "old");
  {
    AtomicFile file(path);
    file.write("never committed");
  }
  REQUIRE(read_file(path) == "old");
  REQUIRE(entries(dir.path()) == 1);
}

TEST_CASE("util::posix_file: only regular files of bounded size are read, and never block", "[files]") {
  TempDir dir;
  REQUIRE_FALSE(read_regular_file(dir.file("absent")));
  write_file(dir.file("small"), "hello");
  REQUIRE(read_regular_file(dir.file("small")) == "hello");
  write_file(dir.file("big"), std::string(2000, 'x'));
  REQUIRE_THROWS_WITH(read_regular_file(dir.file("big"), 1000), Catch::Contains("larger than 1000 bytes"));
  REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
  REQUIRE_THROWS_WITH(read_regular_file(dir.file("fifo")), Catch::Contains("a FIFO, not a regular file"));
  REQUIRE_THROWS_WITH(read_regular_file(dir.path()), Catch::Contains("a folder, not a regular file"));
  REQUIRE_THROWS_WITH(read_regular_file("/dev/zero"), Catch::Contains("a device, not a regular file"));
  std::filesystem::create_symlink("/dev/zero", dir.file("zero-link"));
  REQUIRE_THROWS_WITH(read_regular_file(dir.file("zero-link")), Catch::Contains("a device"));
  REQUIRE_THROWS_WITH(read_regular_file(dir.file(std::string(300, 'n'))), Catch::Contains("File name too long"));
}

TEST_CASE("util::posix_file: folders are made one level at a time, 0700", "[files]") {
  TempDir dir;
  Umask open_umask(0);
  REQUIRE(create_private_folder(dir.file("one")));
  REQUIRE_FALSE(create_private_folder(dir.file("one")));
  REQUIRE(file_mode(dir.file("one")) == 0700u);
  REQUIRE_THROWS_WITH(create_private_folder(dir.file("a/b")), Catch::Contains("does not exist"));
  write_file(dir.file("plain"), "x");
  REQUIRE_THROWS_WITH(create_private_folder(dir.file("plain")), Catch::Contains("not a folder is in the way"));
  create_private_folders(dir.file("x/y/z"));
  REQUIRE(file_mode(dir.file("x/y")) == 0700u);
}

TEST_CASE("util::posix_file: a new private file never replaces anything", "[files]") {
  TempDir dir;
  REQUIRE(write_new_private_file(dir.file("r"), "secret"));
  REQUIRE(file_mode(dir.file("r")) == 0600u);
  REQUIRE_FALSE(write_new_private_file(dir.file("r"), "other"));
  REQUIRE(read_file(dir.file("r")) == "secret");
  std::filesystem::create_symlink(dir.file("target"), dir.file("link"));
  REQUIRE_FALSE(write_new_private_file(dir.file("link"), "x"));
  REQUIRE_FALSE(file_exists(dir.file("target")));
}

TEST_CASE("util::file_lock: a second holder waits, then gives up at its timeout", "[files][lock]") {
  TempDir dir;
  FileLock first(dir.file("l.lock"));
  REQUIRE(first.acquire(0ms));
  REQUIRE(file_mode(dir.file("l.lock")) == 0600u);
  FileLock second(dir.file("l.lock"));
  auto started = std::chrono::steady_clock::now();
  REQUIRE_FALSE(second.acquire(200ms));
  REQUIRE(std::chrono::steady_clock::now() - started >= 200ms);
}
