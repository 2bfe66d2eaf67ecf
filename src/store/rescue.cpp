#include "store/rescue.hpp"

#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/timestamp.hpp"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include <sys/stat.h>
#include <unistd.h>

namespace keap::store {

namespace {

constexpr const char* k_label = "rescued_for";

util::TimePoint held_since(const Credential& credential) {
  if (const auto* grant = std::get_if<OAuthGrant>(&credential)) {
    return grant->refresh_token_obtained_at;
  }
  return std::get<ApiKey>(credential).obtained_at;
}

/// True when `rescued` can stand in for `stored`: the same kind, and for a grant the same client, token
/// endpoint and Keap app (a grant of another app in a rescue file is another person's, or another
/// project's), and newer.
bool replaces(const Credential& rescued, const std::optional<Credential>& stored) {
  if (!stored) {
    return true;
  }
  if (rescued.index() != stored->index() || held_since(rescued) < held_since(*stored)) {
    return false;
  }
  const auto* grant = std::get_if<OAuthGrant>(&rescued);
  const auto* current = std::get_if<OAuthGrant>(&*stored);
  if (!grant) {
    return std::get<ApiKey>(rescued).key != std::get<ApiKey>(*stored).key;
  }
  // Times are kept to the second: a pair rotated in the second it was stored is as new, and differs
  // (when the store shows its token: a shared store keeps it sealed from `inspect`).
  bool newer = held_since(rescued) > held_since(*stored) ||
               (!current->refresh_token.empty() && grant->refresh_token != current->refresh_token);
  return newer && grant->client_id == current->client_id && grant->token_url == current->token_url &&
         grant->app == current->app;
}

/// The credential in a rescue file, when the file is this user's own, private, and labelled for
/// `location` and `profile`.
std::optional<Credential> read_rescue(const std::string& path, const std::string& location,
                                      const std::string& profile) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != ::geteuid() ||
      (info.st_mode & 07777) != 0600) {
    return std::nullopt;
  }
  auto text = util::read_regular_file(path);
  if (!text) {
    return std::nullopt;
  }
  auto document = util::parse_json(*text);
  auto label = document.is_object() ? document.find(k_label) : document.end();
  if (label == document.end() || util::string_member(*label, "location") != location ||
      util::string_member(*label, "profile") != profile) {
    return std::nullopt;
  }
  return parse_credential(*text, path);
}

} // namespace

std::vector<std::string> rescue_folders(const std::string& first, const util::EnvironmentLookup& environment) {
  std::vector<std::string> folders;
  if (!first.empty()) {
    folders.push_back(first);
  }
  if (auto state = environment("STATE_DIRECTORY"); state && state->starts_with('/')) {
    folders.push_back(state->substr(0, state->find(':'))); // systemd lists several, colon-separated
  }
  if (auto state = util::state_home(environment)) {
    folders.push_back(*state + "/keap-auth");
  }
  auto temporary = environment("TMPDIR").value_or("/tmp");
  folders.push_back(util::private_folder_name(temporary));
  if (temporary != "/tmp") {
    folders.push_back(util::private_folder_name("/tmp"));
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
      continue; // one that cannot be made, or that someone else owns: the next
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

std::string labelled(const Credential& credential, const std::string& location, const std::string& profile) {
  auto document = util::parse_ordered_json(serialize_credential(credential));
  document[k_label] = {{"location", location}, {"profile", profile}, {"at", util::format_rfc3339(util::now_seconds())}};
  return util::dump_json(document, 2);
}

Error rescue(CredentialStore& store, const std::string& profile, const Credential& fresh, const Error& failure,
             RescueCause cause, const util::EnvironmentLookup& environment) {
  std::string described = "the store", first, stem = profile + ".json", content = serialize_credential(fresh);
  try {
    described = store.describe(profile);
    std::tie(first, stem) = store.rescue_location(profile);
    content = labelled(fresh, store.location(profile), profile);
  } catch (const std::exception&) {
    // Whatever the store could not say, the pair still goes somewhere: the folders below need none of it.
  }
  std::string what = std::string(failure.what()) +
                     (cause == RescueCause::rotation
                          ? ". Keap has already rotated the refresh token, so the old one in " + described + " is dead"
                          : ". The login's code is spent, so the new grant exists only here");
  if (auto path = write_rescue_file(rescue_folders(first, environment), stem, content)) {
    std::string restore;
    try {
      restore = store.restore_command(*path, profile);
    } catch (const std::exception&) {
      restore = "copy " + *path + " into the " + described;
    }
    return Error(ExitCode::failure, what + "; the NEW credentials were saved to " + *path,
                 "fix the problem, then put that file into place: " + restore)
        .with_rescue_file(*path);
  }
  return Error(ExitCode::relogin,
               what + "; the NEW credentials could not be saved anywhere (no folder would take a file), so they "
                      "are lost unless you copy them now",
               "free some space or fix the permissions, then run `keap-auth login` again")
      .with_sensitive({"the new credentials (save them as " + described + ")", content});
}

std::vector<PendingRescue> pending_rescues(CredentialStore& store, const std::string& profile,
                                           const util::EnvironmentLookup& environment) {
  std::vector<PendingRescue> found;
  try {
    auto [first, stem] = store.rescue_location(profile);
    auto location = store.location(profile);
    std::optional<Credential> stored;
    try {
      if (auto loaded = store.read_for_status(profile)) {
        stored = loaded->credential;
      }
    } catch (const std::exception&) {
      // damaged or unreadable: any labelled rescue file is better than it
    }
    for (const auto& folder : rescue_folders(first, environment)) {
      std::error_code error;
      for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        auto path = util::absolute_path(it->path().string());
        if (!it->path().filename().string().starts_with(stem + ".rescue-") ||
            std::any_of(found.begin(), found.end(), [&](const PendingRescue& seen) { return seen.path == path; })) {
          continue;
        }
        try {
          auto credential = read_rescue(path, location, profile);
          if (credential && replaces(*credential, stored)) {
            found.push_back({path, *credential, held_since(*credential), store.restore_command(path, profile)});
          }
        } catch (const std::exception&) {
          // not a rescue file of ours after all
        }
      }
    }
  } catch (const std::exception&) {
  }
  std::sort(found.begin(), found.end(),
            [](const PendingRescue& a, const PendingRescue& b) { return a.held_since > b.held_since; });
  return found;
}

} // namespace keap::store
