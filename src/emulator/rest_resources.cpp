// The resources behind the emulator's REST API: contacts (v1 offset lists, v2 token lists), tags,
// files (v1 base64 JSON, v2 multipart) and userinfo, in the shapes design/api.md documents.
#include "emulator/replies.hpp"
#include "util/encoding.hpp"
#include "util/json.hpp"

#include <algorithm>
#include <charconv>

namespace keap::emulator {

namespace {

using namespace replies;

util::Parameters query_of(const ApiCall& call) { return util::parse_form(call.query).value_or(util::Parameters{}); }

/// v1's `next`: Keap builds it from what it returned and keeps only some of the caller's filters
/// (since, order, email), on its own host: a client that follows it silently loses the rest.
std::string v1_next(const std::string& resource, const util::Parameters& query, long long returned, long long offset,
                    long long limit) {
  util::Parameters next{{"limit", std::to_string(returned)}, {"offset", std::to_string(offset + limit)}};
  for (const char* kept : {"since", "order", "email"}) {
    if (auto value = util::find_parameter(query, kept)) {
      next.emplace_back(kept, *value);
    }
  }
  return std::string(k_public_base) + "/v1/" + resource + "/?" + util::form_encode(next);
}

} // namespace

ApiReply RestApi::list_contacts_v1(const ApiCall& call) const {
  auto query = query_of(call);
  auto limit = std::min(number_or(parameter(query, "limit"), 100), k_largest_page);
  auto offset = number_or(parameter(query, "offset"), 0);
  std::lock_guard lock(m_mutex);
  std::vector<const Contact*> matching;
  for (const auto& contact : m_contacts) {
    auto wants = [&](const char* name, const std::string& value) {
      auto given = util::find_parameter(query, name);
      return !given || *given == value;
    };
    if (wants("email", contact.email) && wants("given_name", contact.given_name) &&
        wants("family_name", contact.family_name)) {
      matching.push_back(&contact);
    }
  }
  Json contacts = Json::array();
  for (auto i = offset; i < static_cast<long long>(matching.size()) && i < offset + limit; ++i) {
    const auto& contact = *matching[static_cast<size_t>(i)];
    contacts.push_back({{"id", contact.id},
                        {"given_name", contact.given_name},
                        {"family_name", contact.family_name},
                        {"email_addresses", Json::array({{{"email", contact.email}, {"field", "EMAIL1"}}})}});
  }
  auto returned = static_cast<long long>(contacts.size());
  return json(200, {{"contacts", contacts},
                    {"count", matching.size()},
                    {"next", v1_next("contacts", query, returned, offset, limit)},
                    {"previous", std::string(k_public_base) + "/v1/contacts/?limit=" + std::to_string(limit) +
                                     "&offset=" + std::to_string(std::max(0LL, offset - limit))}});
}

ApiReply RestApi::list_contacts_v2(const ApiCall& call) const {
  auto query = query_of(call);
  auto page_size = number_or(parameter(query, "page_size"), 50);
  if (page_size > k_largest_page) {
    return v2_error(400, "INVALID_ARGUMENT", "page_size must be between 0 and 1000");
  }
  auto token = parameter(query, "page_token");
  auto offset = token.starts_with("p") ? number_or(token.substr(1), 0) : 0;
  // filter=given_name==Ada;family_name==Lovelace (the v2 syntax, equality only here)
  std::vector<std::pair<std::string, std::string>> conditions;
  auto filter = parameter(query, "filter");
  for (size_t start = 0; start < filter.size();) {
    auto end = filter.find(';', start);
    auto term = filter.substr(start, end == std::string::npos ? end : end - start);
    auto equals = term.find("==");
    if (equals != std::string::npos) {
      conditions.emplace_back(term.substr(0, equals), term.substr(equals + 2));
    }
    start = end == std::string::npos ? filter.size() : end + 1;
  }
  std::lock_guard lock(m_mutex);
  Json contacts = Json::array();
  long long seen = 0;
  bool more = false;
  for (const auto& contact : m_contacts) {
    bool fits = std::all_of(conditions.begin(), conditions.end(), [&](const auto& condition) {
      return (condition.first == "given_name" && condition.second == contact.given_name) ||
             (condition.first == "family_name" && condition.second == contact.family_name) ||
             (condition.first == "email" && condition.second == contact.email);
    });
    if (!fits || seen++ < offset) {
      continue;
    }
    if (static_cast<long long>(contacts.size()) == page_size) {
      more = true;
      break;
    }
    contacts.push_back({{"id", std::to_string(contact.id)},
                        {"given_name", contact.given_name},
                        {"family_name", contact.family_name},
                        {"email_addresses", Json::array({{{"email", contact.email}, {"field", "EMAIL1"}}})}});
  }
  std::string next;
  if (more) {
    next = "p" + std::to_string(offset + page_size);
    if (m_settings.next_page_token_as_url) {
      next =
          std::string(k_public_base) + "/v2/contacts/?page_size=" + std::to_string(page_size) + "&page_token=" + next;
    }
  }
  Json page = {{"contacts", contacts}, {"next_page_token", next}};
  if (next.empty() && m_settings.last_token_absent) {
    page.erase("next_page_token");
  }
  return json(200, page);
}

ApiReply RestApi::create_contact(const ApiCall& call, bool v2) {
  auto body = util::parse_json(call.body);
  if (!body.is_object()) {
    return v2 ? v2_error(400, "INVALID_ARGUMENT", "The body is not a JSON object")
              : v1_error(400, "Unable to parse the request body");
  }
  auto emails = body.find("email_addresses");
  if ((emails == body.end() || !emails->is_array() || emails->empty()) && !body.contains("phone_numbers")) {
    return v2 ? v2_error(400, "INVALID_ARGUMENT", "Contact must contain an e-mail address or phone number")
              : v1_error(400, "Contact must contain an e-mail address or phone number");
  }
  std::lock_guard lock(m_mutex);
  Contact contact{m_contacts.empty() ? 1 : m_contacts.back().id + 1,
                  util::string_member(body, "given_name").value_or(""),
                  util::string_member(body, "family_name").value_or(""),
                  emails != body.end() && emails->is_array() && !emails->empty()
                      ? util::string_member((*emails)[0], "email").value_or("")
                      : std::string{}};
  m_contacts.push_back(contact);
  Json answer = Json::parse(body.dump());
  answer["id"] = v2 ? Json(std::to_string(contact.id)) : Json(contact.id);
  return json(201, answer);
}

ApiReply RestApi::upload_file_v1(const ApiCall& call) {
  auto body = util::parse_json(call.body);
  if (!body.is_object()) {
    return v1_error(400, "Unable to parse the request body as JSON");
  }
  auto file_name = util::string_member(body, "file_name");
  auto data = util::string_member(body, "file_data");
  auto association = util::string_member(body, "file_association").value_or("");
  auto decoded = data ? util::base64_decode(*data) : std::nullopt;
  if (!file_name || file_name->empty()) {
    return v1_error(400, "file_name is required");
  }
  if (!decoded) {
    return v1_error(400, "file_data is required and must be base64");
  }
  if (!body.contains("is_public") || !body["is_public"].is_boolean()) {
    return v1_error(400, "is_public is required and must be true or false");
  }
  if (association != "CONTACT" && association != "USER" && association != "COMPANY") {
    return v1_error(400, "file_association must be CONTACT, USER or COMPANY");
  }
  auto contact = body.find("contact_id");
  if (association == "CONTACT" && (contact == body.end() || !contact->is_number_integer())) {
    return v1_error(400, "contact_id is required, as a number, when file_association is CONTACT");
  }
  std::lock_guard lock(m_mutex);
  auto id = m_next_file_id++;
  return json(200, {{"file_data", nullptr},
                    {"file_descriptor",
                     {{"id", id},
                      {"file_name", *file_name},
                      {"file_size", decoded->size()},
                      {"category", "Attachments"},
                      {"file_box_type", "Application"},
                      {"contact_id", contact == body.end() ? Json(nullptr) : Json(*contact)},
                      {"public", Json(body["is_public"])},
                      {"download_url", std::string(k_public_base) + "/v1/files/" + std::to_string(id)}}}});
}

ApiReply RestApi::upload_file_v2(const ApiCall& call) {
  auto part = [&](const char* name) -> const std::pair<std::string, std::string>* {
    auto found = call.parts.find(name);
    return found == call.parts.end() ? nullptr : &found->second;
  };
  const auto* file = part("file");
  const auto* file_name = part("file_name");
  const auto* association = part("file_association");
  if (!file || file->first.empty()) {
    return v2_error(400, "INVALID_ARGUMENT", "the file part is required, with a filename");
  }
  if (!file_name || !association) {
    return v2_error(400, "INVALID_ARGUMENT", "file_name and file_association are required");
  }
  std::lock_guard lock(m_mutex);
  auto id = m_next_file_id++;
  const auto* is_public = part("is_public");
  const auto* contact = part("contact_id");
  return json(201, {{"id", std::to_string(id)},
                    {"file_name", file_name->second},
                    {"file_size", file->second.size()},
                    {"is_public", is_public && is_public->second == "true"},
                    {"contact_id", contact ? Json(contact->second) : Json(nullptr)},
                    {"category", "ATTACHMENTS"},
                    {"file_box_type", "APPLICATION"}});
}

ApiReply RestApi::list_tags(const ApiCall& call) const {
  auto query = query_of(call);
  Json tags = Json::array();
  for (int i = 1; i <= 3; ++i) {
    tags.push_back({{"id", i}, {"name", "tag-" + std::to_string(i)}, {"category", nullptr}});
  }
  if (call.path.starts_with("/v2")) {
    return json(200, {{"tags", tags}, {"next_page_token", ""}});
  }
  return json(200, {{"tags", tags}, {"count", 3}, {"next", v1_next("tags", query, 3, 0, 1000)}});
}

ApiReply RestApi::userinfo(const Subject& subject) const {
  if (subject.credential != "oauth" && !m_settings.keys_on_userinfo) {
    return json(401, {{"fault",
                       {{"faultstring", "Invalid Access Token"},
                        {"detail", {{"errorcode", "keymanagement.service.invalid_access_token"}}}}}});
  }
  return json(200, {{"email", "ada@example.com"},
                    {"family_name", "Lovelace"},
                    {"given_name", "Ada"},
                    {"global_user_id", "7b9a3c1e"},
                    {"infusionsoft_id", m_oauth.settings().app + ".infusionsoft.com"},
                    {"preferred_name", "Ada"},
                    {"sub", "7b9a3c1e"}});
}

} // namespace keap::emulator
