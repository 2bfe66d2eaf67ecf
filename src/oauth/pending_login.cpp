#include "oauth/pending_login.hpp"

#include "core/error.hpp"
#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"

#include <unistd.h>

namespace keap::oauth {

namespace {

Error damaged(const std::string& origin, const std::string& what) {
  return Error(ExitCode::usage, "pending login " + origin + " " + what, "start again with `keap-auth login --begin`");
}

std::string text_member(const nlohmann::json& document, const char* name, const std::string& origin,
                        bool may_be_empty = false) {
  auto value = util::string_member(document, name);
  if (!value || (!may_be_empty && value->empty())) {
    throw damaged(origin, std::string("is damaged: \"") + name + "\" is missing");
  }
  return *value;
}

} // namespace

std::string serialize_pending(const PendingLogin& pending) {
  nlohmann::ordered_json document = {
      {"version", PendingLogin::k_version},     {"state", pending.state},
      {"code_verifier", pending.code_verifier}, {"redirect_uri", pending.redirect_uri},
      {"client_id", pending.client_id},         {"created_at", util::format_rfc3339(pending.created_at)}};
  return util::dump_json(document, 2);
}

PendingLogin parse_pending(std::string_view text, const std::string& origin) {
  auto document = util::parse_json(text);
  if (document.is_discarded() || !document.is_object()) {
    throw damaged(origin, "is damaged: not a JSON object");
  }
  auto version = document.find("version");
  if (version == document.end() || *version != PendingLogin::k_version) {
    throw damaged(origin, "has an unknown version");
  }
  PendingLogin pending;
  pending.state = text_member(document, "state", origin);
  pending.code_verifier = text_member(document, "code_verifier", origin, true);
  pending.redirect_uri = text_member(document, "redirect_uri", origin);
  pending.client_id = text_member(document, "client_id", origin);
  auto created = util::parse_rfc3339(text_member(document, "created_at", origin));
  if (!created) {
    throw damaged(origin, "is damaged: \"created_at\" is not an RFC 3339 time");
  }
  pending.created_at = *created;
  return pending;
}

void save_pending(const std::string& path, const PendingLogin& pending) {
  try {
    util::create_private_folders(util::folder_of(path));
    util::write_file_atomically(path, serialize_pending(pending));
  } catch (const util::FileError& error) {
    throw Error(ExitCode::failure, std::string("cannot save the pending login: ") + error.what());
  }
}

std::optional<PendingLogin> load_pending(const std::string& path) {
  try {
    auto text = util::read_regular_file(path);
    return text ? std::optional(parse_pending(*text, path)) : std::nullopt;
  } catch (const util::FileError& error) {
    throw Error(ExitCode::usage, std::string("pending login: ") + error.what());
  }
}

void remove_pending(const std::string& path) {
  // Best effort: a pending file left behind expires on its own and is refused at --finish.
  (void)::unlink(path.c_str());
}

} // namespace keap::oauth
