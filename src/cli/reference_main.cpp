// keap-auth-reference OUTPUT_FOLDER: writes the man page and the completions there, at build time,
// from the program's own tables (never installed itself).
#include "cli/reference.hpp"

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: keap-auth-reference OUTPUT_FOLDER\n");
    return 2;
  }
  std::string folder = argv[1];
  const std::pair<const char*, std::string> files[] = {
      {"keap-auth.1", keap::cli::man_page()},
      {"keap-auth.bash", keap::cli::bash_completion()},
      {"_keap-auth", keap::cli::zsh_completion()},
      {"keap-auth.fish", keap::cli::fish_completion()},
  };
  for (const auto& [name, text] : files) {
    std::ofstream out(folder + "/" + name, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::fprintf(stderr, "keap-auth-reference: cannot write %s/%s\n", folder.c_str(), name);
      return 1;
    }
  }
  return 0;
}
