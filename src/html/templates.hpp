#pragma once

#include <string_view>

/// The pages in templates/, compiled into the binary by cmake/embed_files.cmake.
namespace keap::html::templates {
extern const std::string_view k_success_html;
extern const std::string_view k_error_html;
extern const std::string_view k_consent_html;
} // namespace keap::html::templates
