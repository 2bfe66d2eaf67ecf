#include "util/environment.hpp"

#include <cstdlib>
#include <vector>

#include <pwd.h>
#include <unistd.h>

namespace keap::util {

namespace {

std::optional<std::string> absolute(std::optional<std::string> folder) {
  return folder && folder->starts_with("/") ? folder : std::nullopt;
}

std::optional<std::string> passwd_home() {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr ||
      found->pw_dir == nullptr) {
    return std::nullopt;
  }
  return std::string(found->pw_dir);
}

std::optional<std::string> base_folder(const EnvironmentLookup& environment, const char* variable,
                                       const char* below_home) {
  if (auto folder = absolute(environment(variable))) {
    return folder; // the XDG spec: a relative value is invalid and ignored
  }
  if (auto home = home_folder(environment)) {
    return *home + below_home;
  }
  return std::nullopt;
}

} // namespace

EnvironmentLookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value && *value ? std::optional<std::string>(value) : std::nullopt;
  };
}

std::optional<std::string> home_folder(const EnvironmentLookup& environment) {
  if (auto home = absolute(environment("HOME"))) {
    return home;
  }
  return absolute(passwd_home());
}

std::optional<std::string> state_home(const EnvironmentLookup& environment) {
  return base_folder(environment, "XDG_STATE_HOME", "/.local/state");
}

std::optional<std::string> app_state_folder(const EnvironmentLookup& environment) {
  if (auto delivered = environment("STATE_DIRECTORY"); delivered && delivered->starts_with('/')) {
    return delivered->substr(0, delivered->find(':'));
  }
  auto state = state_home(environment);
  return state ? std::optional<std::string>(*state + "/keap-auth") : std::nullopt;
}

std::optional<std::string> config_home(const EnvironmentLookup& environment) {
  return base_folder(environment, "XDG_CONFIG_HOME", "/.config");
}

std::optional<std::string> cache_home(const EnvironmentLookup& environment) {
  return base_folder(environment, "XDG_CACHE_HOME", "/.cache");
}

} // namespace keap::util
