#pragma once

#include <optional>
#include <string>

/// The man page, the shell completions and docs/reference.md's tables, generated from the same command
/// table the program parses with, the config key table it reads with, and its exit codes, so none can
/// miss a flag or keep a stale one.
namespace keap::reference {

std::string man_page();        ///< keap-auth(1), troff
std::string bash_completion(); ///< for bash-completion's completions/ folder
std::string zsh_completion();  ///< _keap-auth, for zsh's vendor-completions
std::string fish_completion(); ///< keap-auth.fish, for fish's vendor_completions.d

/// The Markdown of generated section `name` ("commands", "config-keys", "agent-keys", "exit-codes"), or
/// nothing.
std::optional<std::string> markdown_section(const std::string& name);

/// `document` with what lies between each `<!-- generated: NAME -->` and the next
/// `<!-- end generated -->` replaced by markdown_section(NAME).
std::string regenerate(const std::string& document);

} // namespace keap::reference
