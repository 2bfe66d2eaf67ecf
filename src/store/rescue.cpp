#include "store/rescue.hpp"

#include "util/posix_file.hpp"
#include "util/timestamp.hpp"

#include <algorithm>
#include <filesystem>

#include <unistd.h>

namespace keap::store {

std::vector<std::string> rescue_folders(const std::string& first, const util::EnvironmentLookup& environment) {
  std::vector<std::string> folders{first};
  if (auto state = environment("STATE_DIRECTORY")) {
    folders.push_back(state->substr(0, state->find(':'))); // systemd lists several, colon-separated
  }
  if (auto state = util::state_home(environment)) {
    folders.push_back(*state + "/keap-auth");
  }
  folders.push_back(environment("TMPDIR").value_or("/tmp"));
  if (folders.back() != "/tmp") {
    folders.emplace_back("/tmp");
  }
  return folders;
}

std::optional<std::string> write_rescue_file(const std::vector<std::string>& folders, const std::string& stem,
                                             const std::string& content) {
  auto name = stem + ".rescue-" + util::format_rfc3339(util::now_seconds()) + "-" + std::to_string(::getpid());
  for (const auto& folder : folders) {
    try {
      util::create_private_folders(folder);
    } catch (const std::exception&) {
      continue;
    }
    for (int attempt = 1; attempt <= 10; ++attempt) { // a second rescue by this process in the same second
      auto path = folder + "/" + name + (attempt > 1 ? "-" + std::to_string(attempt) : "");
      if (util::write_new_private_file(path, content)) {
        return util::absolute_path(path);
      }
    }
  }
  return std::nullopt;
}

Error rescue(CredentialStore& store, const std::string& profile, const Credential& fresh, const Error& failure,
             RescueCause cause, const util::EnvironmentLookup& environment) {
  auto content = serialize_credential(fresh);
  auto [first, stem] = store.rescue_place(profile);
  std::string what =
      std::string(failure.what()) +
      (cause == RescueCause::rotation
           ? ". Keap has already rotated the refresh token, so the old one in " + store.describe(profile) + " is dead"
           : ". The login's code is spent, so the new grant exists only here");
  if (auto path = write_rescue_file(rescue_folders(first, environment), stem, content)) {
    return Error(ExitCode::failure, what + "; the NEW credentials were saved to " + *path,
                 "fix the problem, then put that file into place: " + store.restore_command(*path, profile))
        .with_rescue_file(*path);
  }
  return Error(ExitCode::relogin,
               what + "; the NEW credentials could not be saved anywhere (no folder would take a file), so they "
                      "are lost unless you copy them now",
               "free some space or fix the permissions, then run `keap-auth login` again")
      .with_sensitive({"the new credentials (save them as " + store.describe(profile) + ")", content});
}

std::vector<std::string> find_rescue_files(const std::vector<std::string>& folders, const std::string& stem) {
  std::vector<std::string> found;
  for (const auto& folder : folders) {
    std::error_code error;
    for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
      auto name = it->path().filename().string();
      if (name.starts_with(stem + ".rescue-")) {
        found.push_back(util::absolute_path(it->path().string()));
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return std::filesystem::path(a).filename() > std::filesystem::path(b).filename();
  });
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

} // namespace keap::store
