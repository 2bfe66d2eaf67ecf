#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Text helpers with no keap knowledge. Pure.
namespace keap::util {

/// Text from elsewhere (a server, a file) made safe for one terminal line: control characters dropped
/// (new lines and tabs become spaces), at most `limit` bytes.
std::string printable_excerpt(std::string_view text, size_t limit = 300);

/// Up to `limit` bytes of `text` with its lines kept but every other control character dropped, C1
/// controls and DEL included (no escape sequence from a server reaches a terminal), and "…" when cut.
std::string terminal_safe(std::string_view text, size_t limit);

/// True for one run of visible ASCII (0x21 to 0x7e) of at least one byte: what a token, a key or a
/// header word may be.
bool is_visible_ascii(std::string_view text);

/// `text` with ASCII letters in lower case (locale-free: header names, schemes, hosts, keywords).
std::string lower(std::string_view text);

/// True when `left` and `right` differ at most in the case of ASCII letters.
bool same_ignoring_case(std::string_view left, std::string_view right);

/// "a, b, c".
std::string join(const std::vector<std::string>& parts, std::string_view separator = ", ");

/// Levenshtein distance, for "did you mean ...?".
size_t edit_distance(std::string_view left, std::string_view right);

/// The candidate closest to `word`, when one is within `max_distance` edits and one edit per three
/// letters of `word` (or `word`, three letters or more, is a prefix of it).
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates,
                                   size_t max_distance = 3);

/// The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, at most
/// U+10FFFF), or nothing when `text` is valid.
std::optional<size_t> invalid_utf8_offset(std::string_view text);

/// Words split like a shell would (blanks separate, single or double quotes group), with no expansion.
std::vector<std::string> split_words(std::string_view text);

} // namespace keap::util
