// SIGTERM (systemctl stop, shutdown, a unit's timeout) and Ctrl-C at the worst moment: after the refresh
// has been sent, before its answer is saved. Keap has rotated the token by then, so dying would lose
// the grant; keap-auth finishes the save first, then exits 130. And a login that has succeeded ends
// promptly whatever its receiver's other clients do.
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char** environ;

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// Interrupts `command` one second into a refresh whose answer takes three, and checks that the new
/// pair was saved before the process ended with 130.
void interrupt_during_refresh(const std::vector<std::string>& command, int signal_number) {
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(3000ms, 1));
  auto started = std::chrono::steady_clock::now();
  auto process = setup.start(command);
  REQUIRE(wait_for_token_requests(setup.emulator, 1, 5s)); // the refresh is in flight: Keap has rotated
  std::this_thread::sleep_until(started + 1s);
  process->send_signal(signal_number);
  auto result = process->wait(20s);
  INFO(result.err);
  REQUIRE(result.exit_code == 130);
  REQUIRE(std::chrono::steady_clock::now() - started >= 2500ms); // it waited for the answer
  REQUIRE(result.err.find("interrupted; the refresh had been sent, so keap-auth finished saving the new pair") !=
          std::string::npos);
  auto saved = load_grant(setup.path());
  REQUIRE(saved.refresh_token != seeded.refresh_token);
  REQUIRE(setup.emulator.server.state().refresh_token_valid(saved.refresh_token, util::now_seconds()));
  // The next command works without a login.
  auto next = setup.keap({"token"});
  REQUIRE(next.exit_code == 0);
  REQUIRE(next.out == saved.access_token + "\n");
}

} // namespace

TEST_CASE("signals: SIGTERM during a refresh waits for the new pair to be saved, then exits 130", "[signals]") {
  interrupt_during_refresh({"refresh"}, SIGTERM);
}

TEST_CASE("signals: Ctrl-C during token's refresh waits for the save, then exits 130", "[signals]") {
  interrupt_during_refresh({"token"}, SIGINT);
}

TEST_CASE("signals: SIGTERM during whoami's refresh waits for the save, then exits 130", "[signals]") {
  interrupt_during_refresh({"whoami"}, SIGTERM);
}

TEST_CASE("signals: before anything is sent, SIGTERM ends the process at once and changes nothing", "[signals]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), -1h);
  auto before = read_file(setup.path());
  int lock = ::open((setup.path() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(::flock(lock, LOCK_EX) == 0);
  auto process = setup.start({"refresh"});
  REQUIRE(eventually([&] { return holds_open(process->pid(), setup.path() + ".lock"); })); // waiting for the lock
  process->send_signal(SIGTERM);
  auto result = process->wait(5s);
  ::close(lock);
  REQUIRE(result.exit_code == 128 + SIGTERM);
  REQUIRE(read_file(setup.path()) == before);
  REQUIRE(setup.emulator.server.state().token_requests().empty());
}

TEST_CASE("login: after success it exits within about a second, whatever other clients of the receiver do",
          "[login][signals]") {
  Emulator emulator;
  TempDir dir;
  auto login = start_login({"--no-browser", "--config", write_config(dir, emulator)});
  REQUIRE_FALSE(login.authorize_url.empty());
  auto redirect = *util::parse_url(query_parameter(login.authorize_url, "redirect_uri"));
  // One client that sends a byte a second, twenty that send one every 200 ms, and 200 that connect and
  // say nothing: none of them ever finishes a request.
  std::atomic<bool> stop{false};
  std::atomic<int> dripping{0};
  std::vector<std::thread> drippers;
  std::vector<int> idle;
  auto connect_to_receiver = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(redirect.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    return fd;
  };
  for (int i = 0; i < 21; ++i) {
    drippers.emplace_back([&, i] {
      int fd = connect_to_receiver();
      auto pause = i == 0 ? 1000ms : 200ms;
      while (!stop) {
        ::send(fd, "G", 1, MSG_NOSIGNAL);
        dripping += 1;
        std::this_thread::sleep_for(pause); // the dripping itself is what is tested
      }
      ::close(fd);
    });
  }
  for (int i = 0; i < 200; ++i) {
    idle.push_back(connect_to_receiver());
  }
  REQUIRE(eventually([&] { return dripping >= 21; })); // every dripper under way
  auto page = browse(login.authorize_url);
  REQUIRE(page.body.find("Signed in to Keap") != std::string::npos);
  REQUIRE(login.process->wait_for_err("saved to the credentials file", 10s));
  auto saved = std::chrono::steady_clock::now();
  auto result = login.process->wait(30s);
  auto lingered = std::chrono::steady_clock::now() - saved;
  stop = true;
  for (auto& thread : drippers) {
    thread.join();
  }
  for (int fd : idle) {
    ::close(fd);
  }
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(lingered < 2s);
}

TEST_CASE("signals: Ctrl-C while a secret is typed with echo off leaves the terminal with echo", "[signals][tty]") {
  Setup setup;
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  std::string slave_name = ::ptsname(master);
  int slave = ::open(slave_name.c_str(), O_RDWR | O_NOCTTY);
  REQUIRE(slave >= 0);
  std::vector<std::string> words{keap_auth(), "login", "--api-key", "-", "--config", setup.config};
  std::vector<char*> argv;
  for (auto& word : words) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd : {0, 1, 2}) {
    posix_spawn_file_actions_adddup2(&actions, slave, fd);
  }
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  // The event: the prompt on the terminal, after which echo is off.
  std::string shown;
  char buffer[512];
  for (int i = 0; i < 500 && shown.find("(it is not shown)") == std::string::npos; ++i) {
    pollfd ready{master, POLLIN, 0};
    if (::poll(&ready, 1, 20) == 1) {
      auto count = ::read(master, buffer, sizeof buffer);
      shown.append(buffer, count > 0 ? static_cast<size_t>(count) : 0);
    }
  }
  REQUIRE(shown.find("(it is not shown)") != std::string::npos);
  termios hidden{};
  for (int i = 0; i < 500; ++i) { // echo goes off right after the prompt
    REQUIRE(::tcgetattr(slave, &hidden) == 0);
    if ((hidden.c_lflag & ECHO) == 0) {
      break;
    }
    usleep(10000);
  }
  REQUIRE((hidden.c_lflag & ECHO) == 0);
  ::kill(pid, SIGINT);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  termios after{};
  REQUIRE(::tcgetattr(slave, &after) == 0);
  REQUIRE((after.c_lflag & ECHO) != 0);
  ::close(slave);
  ::close(master);
}
