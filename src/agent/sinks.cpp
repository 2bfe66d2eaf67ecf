#include "agent/sinks.hpp"

#include "core/error.hpp"
#include "core/token_answer.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"
#include "util/timestamp.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keap::agent {

namespace {

Error sink_error(const Sink& sink, const std::string& what, int error_number) {
  return Error(ExitCode::failure,
               "cannot write the sink " + sink.path + ": " + what + ": " + std::strerror(error_number),
               "check the folder, its permissions and the sink's group");
}

std::optional<gid_t> group_id(const std::string& name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return found->gr_gid;
}

} // namespace

std::string sink_content(const Sink& sink, const Credential& credential, std::optional<TimePoint> refresh_at) {
  auto answer = token_answer(sink.profile, credential, refresh_at);
  if (sink.format == "header") {
    return answer["header"].get<std::string>() + "\n";
  }
  if (sink.format == "json") {
    return util::dump_json(answer, 2);
  }
  if (sink.format == "env") {
    const auto* grant = std::get_if<OAuthGrant>(&credential);
    return "KEAP_ACCESS_TOKEN=" + answer["token"].get<std::string>() +
           "\nKEAP_TOKEN_EXPIRES_AT=" + (grant ? util::format_rfc3339(grant->expires_at) : std::string()) + "\n";
  }
  return answer["token"].get<std::string>() + "\n";
}

void write_sink(const Sink& sink, const std::string& content) {
  std::optional<gid_t> group;
  if (sink.group) {
    group = group_id(*sink.group);
    if (!group) {
      throw Error(ExitCode::usage, "sink " + sink.path + ": there is no group \"" + *sink.group + "\"",
                  "name an existing group, or leave group out");
    }
  }
  auto folder = util::folder_of(sink.path);
  std::string temporary = folder + "/.keap-auth-sink-XXXXXX";
  // mkostemp makes it 0600; it gets its group and mode before it holds anything.
  int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) {
    throw sink_error(sink, "cannot create a file in " + folder, errno);
  }
  auto fail = [&](const std::string& what) {
    int saved = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return sink_error(sink, what, saved);
  };
  if (group && ::fchown(fd, static_cast<uid_t>(-1), *group) != 0) {
    throw fail("cannot give it the group " + *sink.group);
  }
  if (::fchmod(fd, sink.mode) != 0) {
    throw fail("cannot set its mode");
  }
  if (!util::write_all(fd, content) || ::fsync(fd) != 0) {
    throw fail("cannot write it");
  }
  if (::close(fd) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    throw sink_error(sink, "cannot write it", saved);
  }
  if (::rename(temporary.c_str(), sink.path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    throw sink_error(sink, "cannot put it in place", saved);
  }
  util::fsync_folder(folder); // the rename itself survives a crash
}

} // namespace keap::agent
