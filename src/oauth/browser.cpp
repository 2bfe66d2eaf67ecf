#include "oauth/browser.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace keap::oauth {

namespace {

/// What a browser needs from our environment to find the desktop, the user and the locale: an allow
/// list, because anything else may be a secret (KEAP_CLIENT_SECRET, PGPASSWORD, a cloud key, ...).
bool browser_may_see(std::string_view name) {
  static constexpr std::string_view k_names[] = {"PATH",
                                                 "HOME",
                                                 "USER",
                                                 "LOGNAME",
                                                 "SHELL",
                                                 "LANG",
                                                 "LANGUAGE",
                                                 "TZ",
                                                 "TERM",
                                                 "TMPDIR",
                                                 "DISPLAY",
                                                 "WAYLAND_DISPLAY",
                                                 "XAUTHORITY",
                                                 "DBUS_SESSION_BUS_ADDRESS",
                                                 "BROWSER",
                                                 "DESKTOP_SESSION",
                                                 "KDE_FULL_SESSION",
                                                 "KDE_SESSION_VERSION",
                                                 "GNOME_DESKTOP_SESSION_ID",
                                                 "WSL_DISTRO_NAME",
                                                 "WSL_INTEROP"};
  static constexpr std::string_view k_prefixes[] = {"LC_", "XDG_"};
  return std::find(std::begin(k_names), std::end(k_names), name) != std::end(k_names) ||
         std::any_of(std::begin(k_prefixes), std::end(k_prefixes),
                     [&](std::string_view prefix) { return name.starts_with(prefix); });
}

/// The allowed part of our environment.
std::vector<char*> child_environment() {
  std::vector<char*> result;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    if (browser_may_see(variable.substr(0, variable.find('=')))) {
      result.push_back(*entry);
    }
  }
  result.push_back(nullptr);
  return result;
}

/// posix_spawn's setup; false when any step fails (then nothing is started).
bool prepare(posix_spawn_file_actions_t& actions, posix_spawnattr_t& attributes) {
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  return posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0) == 0 &&
         posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO) == 0 &&
         // The receiver's listening sockets must not live on in a long-running browser.
         posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1) == 0 &&
         posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) == 0 &&
         posix_spawnattr_setsigmask(&attributes, &none) == 0 &&
         posix_spawnattr_setsigdefault(&attributes, &defaults) == 0;
}

/// Watches `pid` for `grace`: a text when it ended badly within it.
std::optional<std::string> watch(pid_t pid, const std::string& name, std::chrono::milliseconds grace) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t ended = ::waitpid(pid, &status, WNOHANG);
    if (ended == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return std::nullopt; // xdg-open and friends hand over to the browser and exit 0
      }
      return "\"" + name + "\" " +
             (WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                : "was ended by signal " + std::to_string(WTERMSIG(status))) +
             " at once";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt; // still running: the browser itself
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

std::vector<std::vector<std::string>> browser_commands(std::string_view browser_setting, const std::string& url) {
  std::vector<std::vector<std::string>> commands;
  for (size_t start = 0; start <= browser_setting.size();) {
    auto colon = browser_setting.find(':', start);
    auto entry = browser_setting.substr(start, colon == std::string_view::npos ? colon : colon - start);
    if (entry.find_first_not_of(" \t") != std::string_view::npos) {
      commands.push_back(browser_command(entry, url));
    }
    if (colon == std::string_view::npos) {
      break;
    }
    start = colon + 1;
  }
  if (commands.empty()) {
    commands.push_back(browser_command("", url));
  }
  return commands;
}

std::optional<std::string> start_browser(const std::vector<std::string>& command, std::chrono::milliseconds grace) {
  std::vector<char*> argv;
  for (const auto& word : command) {
    argv.push_back(const_cast<char*>(word.c_str()));
  }
  argv.push_back(nullptr);
  auto environment = child_environment();
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  if (posix_spawn_file_actions_init(&actions) != 0) {
    return "cannot prepare to start \"" + command.front() + "\"";
  }
  if (posix_spawnattr_init(&attributes) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return "cannot prepare to start \"" + command.front() + "\"";
  }
  pid_t pid = 0;
  int result = prepare(actions, attributes)
                   ? posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environment.data())
                   : EINVAL;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (result != 0) {
    return "cannot start \"" + command.front() + "\": " + std::strerror(result);
  }
  return watch(pid, command.front(), grace);
}

} // namespace keap::oauth
