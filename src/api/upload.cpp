#include "api/upload.hpp"

#include "core/error.hpp"
#include "util/encoding.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace keap::api {

namespace {

using Json = nlohmann::ordered_json;

Error upload_error(const std::string& message, std::string hint = {}) {
  return Error(ExitCode::usage, "--upload: " + message, std::move(hint));
}

/// The fields every upload carries, completed with the defaults and checked.
Json upload_fields(const std::string& file_name, Json fields) {
  if (!fields.contains("file_name")) {
    if (auto offset = util::invalid_utf8_offset(file_name)) {
      throw upload_error("the file's name is not UTF-8 (byte " + std::to_string(*offset + 1) +
                             "), and Keap's file_name must be",
                         "name it in the request: -f file_name=NAME.pdf");
    }
    fields["file_name"] = file_name;
  }
  if (!fields.contains("is_public")) {
    fields["is_public"] = false; // required by v1, and the safe choice for customer files
  }
  if (fields.contains("contact_id")) {
    auto& contact = fields["contact_id"];
    if (contact.is_string()) {
      try {
        size_t used = 0;
        auto id = std::stoll(contact.get<std::string>(), &used);
        if (used == contact.get<std::string>().size()) {
          contact = id; // Keap's schema says int64; a string here is a common mistake
        }
      } catch (const std::exception&) {
      }
    }
    if (!contact.is_number_integer()) {
      throw upload_error("contact_id must be a number", "for example -F contact_id=51677");
    }
  }
  if (!fields.contains("file_association")) {
    fields["file_association"] = fields.contains("contact_id") ? "CONTACT" : "USER";
  }
  auto association = fields["file_association"];
  if (!association.is_string() || (association != "CONTACT" && association != "USER" && association != "COMPANY")) {
    throw upload_error("file_association must be CONTACT, USER or COMPANY");
  }
  if (association == "CONTACT" && !fields.contains("contact_id")) {
    throw upload_error("a file for a CONTACT needs contact_id", "add -F contact_id=ID");
  }
  if (!fields["is_public"].is_boolean()) {
    throw upload_error("is_public must be true or false", "use -F is_public=true (-F, not -f)");
  }
  return fields;
}

std::string text_of(const Json& value) { return value.is_string() ? value.get<std::string>() : util::dump_json(value); }

/// A value fit for a quoted multipart header: no quote and no line break can end it early.
std::string header_safe(std::string text) {
  for (char& c : text) {
    if (c == '"' || c == '\r' || c == '\n' || c == '\\') {
      c = '_';
    }
  }
  return text;
}

} // namespace

Body upload_body(const std::string& path, const std::string& file_name, const std::string& content,
                 const nlohmann::ordered_json& given, const std::string& boundary) {
  bool v1 = path.ends_with("/v1/files");
  if (!v1 && !path.ends_with("/v2/files")) {
    throw upload_error("it builds the bodies of v1/files and v2/files; for other endpoints send the body with "
                       "--input or fields");
  }
  auto fields = upload_fields(file_name, given);
  if (v1) {
    Json body = fields;
    body["file_data"] = util::base64(content);
    return {util::dump_json(body), "application/json"};
  }
  std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                     header_safe(text_of(fields["file_name"])) +
                     "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + "\r\n";
  for (const auto& [name, value] : fields.items()) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + header_safe(name) + "\"\r\n\r\n" +
            text_of(value) + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return {body, "multipart/form-data; boundary=" + boundary};
}

} // namespace keap::api
