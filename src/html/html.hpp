#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keap::html {

/// Escapes & < > " ' so any text is safe inside HTML content and quoted attributes.
std::string html_escape(std::string_view text);

using TemplateValues = std::vector<std::pair<std::string, std::string>>;

/// Replaces each {{name}} in `page` with the HTML-escaped value; a name without a value renders empty,
/// so a page can never show a raw placeholder. Pure.
std::string render_template(std::string_view page, const TemplateValues& values);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// Headers for every page served to a browser: never cached, never leaked through Referer, no
/// scripts, no framing. `allow_form_redirects` drops form-action for the emulator's consent form,
/// whose submission redirects to another origin (Chromium applies form-action to redirects).
HeaderList page_headers(bool allow_form_redirects = false);

/// The error page: a title, what happened and what to do, all escaped.
std::string error_page(const std::string& title, const std::string& message, const std::string& hint = {});

} // namespace keap::html
