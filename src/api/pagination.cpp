#include "api/pagination.hpp"

#include "core/error.hpp"
#include "util/json.hpp"

#include <algorithm>
#include <charconv>

namespace keap::api {

namespace {

std::optional<std::string> parameter(const std::string& query, std::string_view name) {
  auto parameters = util::parse_form(query);
  return parameters ? util::find_parameter(*parameters, name) : std::nullopt;
}

/// `query` with `name` set to `value` (replacing any), order otherwise kept.
std::string with_parameter(const std::string& query, const std::string& name, const std::string& value) {
  auto parameters = util::parse_form(query).value_or(util::Parameters{});
  std::erase_if(parameters, [&](const auto& pair) { return pair.first == name; });
  parameters.emplace_back(name, value);
  return util::form_encode(parameters);
}

long long number_or(const std::optional<std::string>& text, long long fallback) {
  long long value = fallback;
  if (text) {
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc{} || end != text->data() + text->size() || value < 0) {
      return fallback;
    }
  }
  return value;
}

} // namespace

PageShape page_shape(const nlohmann::ordered_json& body, const std::string& path) {
  if (!body.is_object()) {
    return {};
  }
  auto last = path.substr(path.find_last_of('/') + 1);
  last = last.substr(0, last.find(':'));
  std::string items;
  int arrays = 0;
  for (const auto& [name, value] : body.items()) {
    if (value.is_array()) {
      ++arrays;
      if (items.empty() || name == last) {
        items = name;
      }
    }
  }
  if (items.empty() || (arrays > 1 && items != last)) {
    return {};
  }
  if (body.contains("next_page_token")) {
    return {PageStyle::token, items};
  }
  if (body.contains("next") || body.contains("count")) {
    return {PageStyle::offset, items};
  }
  return {};
}

PageShape later_page_shape(const nlohmann::ordered_json& body, const PageShape& first) {
  if (first.style == PageStyle::none || !body.is_object()) {
    return {};
  }
  auto items = body.find(first.items);
  return items != body.end() && items->is_array() ? first : PageShape{};
}

util::Url with_page_size(util::Url url) {
  if (url.path.find("/v1/") != std::string::npos && !parameter(url.query, "limit")) {
    url.query = with_parameter(url.query, "limit", std::to_string(k_largest_page));
  }
  return url;
}

std::optional<std::string> next_page_token(const nlohmann::ordered_json& body) {
  auto found = body.find("next_page_token");
  if (found == body.end() || !found->is_string() || found->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  auto token = std::optional<std::string>(found->get<std::string>());
  if (auto url = util::parse_url(*token)) {
    auto inner = parameter(url->query, "page_token");
    return inner && !inner->empty() ? inner : std::nullopt;
  }
  return token;
}

Paginator::Paginator(util::Url first, long long most_pages)
    : m_first(std::move(first)), m_current(m_first), m_most_pages(most_pages) {
  m_offset = number_or(parameter(m_first.query, "offset"), 0);
}

std::optional<util::Url> Paginator::next(const nlohmann::ordered_json& body, const PageShape& shape) {
  if (shape.style == PageStyle::none) {
    return std::nullopt;
  }
  const auto& items = body[shape.items];
  if (++m_pages >= m_most_pages) {
    throw Error(ExitCode::failure,
                "the listing " + m_first.without_query() + " goes on past " + std::to_string(m_most_pages) +
                    " pages; keap-auth stopped there",
                "narrow it with -q filters, or take part of it with --max-pages or --max-items");
  }
  auto page_items = shape.style == PageStyle::offset ? util::dump_json(items) : std::string();
  if (!items.empty() && !page_items.empty() && page_items == m_last_items) {
    throw Error(ExitCode::unavailable,
                "page " + std::to_string(m_pages) + " of " + m_first.without_query() +
                    " holds the same items as the page before: the server does not move on, so the listing would "
                    "never end",
                "check the query (v1 pages with limit and offset, v2 with page_size and page_token)");
  }
  m_last_items = std::move(page_items);
  if (shape.style == PageStyle::offset) {
    auto limit = std::min(number_or(parameter(m_current.query, "limit"), k_largest_page), k_largest_page);
    auto returned = static_cast<long long>(items.size());
    if (returned == 0 || returned < limit) {
      return std::nullopt; // count and next are not to be trusted; a short page is the end
    }
    m_offset += returned;
    m_current.query = with_parameter(m_current.query, "offset", std::to_string(m_offset));
    return m_current;
  }
  auto token = next_page_token(body);
  if (!token || !m_tokens.insert(*token).second || items.empty()) {
    return std::nullopt;
  }
  m_current = m_first;
  m_current.query = with_parameter(m_first.query, "page_token", *token);
  return m_current;
}

void merge_page(nlohmann::ordered_json& merged, nlohmann::ordered_json page, const PageShape& shape, bool first) {
  if (first) {
    merged = std::move(page);
    for (const char* paging : {"next", "previous", "count", "next_page_token"}) {
      merged.erase(paging);
    }
    return;
  }
  auto& items = merged[shape.items];
  for (auto& item : page[shape.items]) {
    items.push_back(std::move(item));
  }
}

} // namespace keap::api
