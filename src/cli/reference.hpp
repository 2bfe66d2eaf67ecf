#pragma once

#include <string>
#include <utility>
#include <vector>

/// The man page and the shell completions, generated from the same command table the program parses
/// with and the same config key table it reads with, so neither can miss a flag or keep a stale one.
namespace keap::cli {

/// The exit codes and what each means, for the man page and --help's footer.
const std::vector<std::pair<int, std::string>>& exit_codes();

std::string man_page();        ///< keap-auth(1), troff
std::string bash_completion(); ///< for bash-completion's completions/ folder
std::string zsh_completion();  ///< _keap-auth, for zsh's vendor-completions
std::string fish_completion(); ///< keap-auth.fish, for fish's vendor_completions.d

} // namespace keap::cli
