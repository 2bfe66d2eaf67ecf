#include "oauth/browser.hpp"

#include "util/text.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace keap::oauth {

namespace {

/// Our environment without the variables that carry secrets.
std::vector<char*> child_environment() {
  std::vector<char*> result;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "KEAP_CLIENT_SECRET=", 19) != 0 && std::strncmp(*entry, "KEAP_API_KEY=", 13) != 0) {
      result.push_back(*entry);
    }
  }
  result.push_back(nullptr);
  return result;
}

} // namespace

std::vector<std::string> browser_command(std::string_view browser_setting, const std::string& url) {
  auto words = util::split_words(browser_setting);
  if (words.empty()) {
    return {"xdg-open", url};
  }
  bool placed = false;
  for (auto& word : words) {
    for (auto at = word.find("%s"); at != std::string::npos; at = word.find("%s", at + url.size())) {
      word.replace(at, 2, url);
      placed = true;
    }
  }
  if (!placed) {
    words.push_back(url);
  }
  return words;
}

std::optional<std::string> start_browser(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const auto& word : command) {
    argv.push_back(const_cast<char*>(word.c_str()));
  }
  argv.push_back(nullptr);
  auto environment = child_environment();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  // The receiver's listening sockets must not live on in a long-running browser.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &signals);

  pid_t pid = 0;
  int result = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environment.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (result != 0) {
    return "cannot start \"" + command.front() + "\": " + std::strerror(result);
  }
  return std::nullopt;
}

} // namespace keap::oauth
