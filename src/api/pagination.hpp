#pragma once

#include "util/url.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>

/// Keap's two list styles (design/api.md sections 4 and 5), followed without trusting what Keap says
/// about the next page: v1's `next` drops filters and is present even on the last page, v2's token may
/// come back as a whole URL.
namespace keap::api {

enum class PageStyle {
  none,   ///< not a list Keap pages
  offset, ///< v1: {"<plural>": [...], "count", "next", "previous"}; limit and offset
  token,  ///< v2: {"<plural>": [...], "next_page_token"}; page_size and page_token
};

/// What a list answer looks like, and which member holds its items.
struct PageShape {
  PageStyle style = PageStyle::none;
  std::string items; ///< the member with the item array
};

/// v2 when the object has "next_page_token"; v1 when it has an item array and "next" or "count". The
/// item array is the member named like the path's last segment ("contacts" for .../v1/contacts), else
/// the only array member. Pure.
PageShape page_shape(const nlohmann::ordered_json& body, const std::string& path);

/// A later page of a listing whose first page had `first`: the same shape when it holds the same item
/// array, whatever paging members it leaves out (a last v2 page may omit next_page_token). Pure.
PageShape later_page_shape(const nlohmann::ordered_json& body, const PageShape& first);

/// The largest v1 page Keap is seen to serve, and what keap-auth asks for when the caller names no limit.
inline constexpr long long k_largest_page = 1000;

/// Walks a listing: given each page's answer, the URL of the next one, built from the first request's
/// own query (every filter kept) rather than from Keap's `next`.
class Paginator {
public:
  /// The most pages a listing is followed for: ten million items at a thousand a page. A server that
  /// keeps answering full pages past that is not ending a listing.
  static constexpr long long k_most_pages = 10000;

  /// `first`: the first request, whose query is kept for every page.
  explicit Paginator(util::Url first, long long most_pages = k_most_pages);

  /// The first request as sent (with limit=1000 added for v1 when no limit was given).
  const util::Url& current() const { return m_current; }

  /// After the answer to current(): the next page's URL, or nothing when the listing is done (an empty
  /// v1 page, or one shorter than its limit capped at k_largest_page; a null, empty, absent or repeated
  /// v2 token). v1's offset advances by what the page held, so a server that serves less than the limit
  /// loses nothing. Error (exit 5) when the server sends the same full page twice (it ignores the
  /// offset, and the listing would never end), and (exit 1) past `most_pages`. Pure.
  std::optional<util::Url> next(const nlohmann::ordered_json& body, const PageShape& shape);

private:
  util::Url m_first;
  util::Url m_current;
  long long m_offset = 0;
  long long m_pages = 0;
  long long m_most_pages;
  std::string m_last_items; ///< the previous page's items, to see a server repeat itself
  std::set<std::string> m_tokens;
};

/// Adds limit=1000 to a v1 list request (a path with /v1/) that names no limit (v1's default page size is unknown, and
/// a known page size is how a short last page is recognised). Pure.
util::Url with_page_size(util::Url url);

/// The v2 token for the next page: nothing for null, absent or ""; the page_token of a whole URL.
std::optional<std::string> next_page_token(const nlohmann::ordered_json& body);

/// The first page with the later pages' items appended and the paging members removed: one document.
void merge_page(nlohmann::ordered_json& merged, nlohmann::ordered_json page, const PageShape& shape, bool first);

} // namespace keap::api
