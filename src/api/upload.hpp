#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace keap::api {

/// A request body and its Content-Type.
struct Body {
  std::string content;
  std::string content_type;
};

/// The body Keap wants for `--upload FILE` to `path`:
///  - .../v1/files: the documented JSON: file_name (the file's name unless a field names it), file_data
///    (base64), is_public (false unless given), file_association (CONTACT when contact_id is given, else
///    USER, unless given) and contact_id as a number;
///  - .../v2/files: multipart/form-data with the file part and the same fields as text parts.
/// `fields` are what -f and -F said. Throws Error (exit 2) for another path, or when a required field is
/// missing or of the wrong type (a CONTACT file without contact_id, a contact_id that is not a number).
/// `boundary` is the multipart boundary (random in use, fixed in tests). Pure.
Body upload_body(const std::string& path, const std::string& file_name, const std::string& content,
                 const nlohmann::ordered_json& fields, const std::string& boundary);

/// Above this, Keap warns that a v1 file may not come back: "use the v2 Files endpoint".
inline constexpr size_t k_large_v1_file = 8 * 1024 * 1024;

} // namespace keap::api
