#include "pending_login.hpp"

#include "atomic_file.hpp"
#include "error.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

namespace keap {

namespace {

Error damaged(const std::string& origin, const std::string& what) {
  return Error(ExitCode::usage, "pending login " + origin + " " + what,
               "start again with `keap-auth login --begin`");
}

std::string text_member(const nlohmann::json& document, const char* name, const std::string& origin,
                        bool may_be_empty = false) {
  auto it = document.find(name);
  if (it == document.end() || !it->is_string() || (!may_be_empty && it->get_ref<const std::string&>().empty())) {
    throw damaged(origin, std::string("is damaged: \"") + name + "\" is missing");
  }
  return it->get<std::string>();
}

} // namespace

std::string pending_path_for(const std::string& credentials_path) { return credentials_path + ".pending"; }

std::string serialize_pending(const PendingLogin& pending) {
  nlohmann::ordered_json document = {{"version", PendingLogin::k_version},
                                     {"state", pending.state},
                                     {"code_verifier", pending.code_verifier},
                                     {"redirect_uri", pending.redirect_uri},
                                     {"client_id", pending.client_id},
                                     {"created_at", format_rfc3339(pending.created_at)}};
  return document.dump(2) + "\n";
}

PendingLogin parse_pending(std::string_view text, const std::string& origin) {
  auto document = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
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
  auto created = parse_rfc3339(text_member(document, "created_at", origin));
  if (!created) {
    throw damaged(origin, "is damaged: \"created_at\" is not an RFC 3339 time");
  }
  pending.created_at = *created;
  return pending;
}

void save_pending(const std::string& path, const PendingLogin& pending) {
  write_file_atomically(path, serialize_pending(pending));
}

std::optional<PendingLogin> load_pending(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) {
    return std::nullopt;
  }
  return parse_pending(*text, path);
}

void remove_pending(const std::string& path) { ::unlink(path.c_str()); }

} // namespace keap
