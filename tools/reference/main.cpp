// keap-auth-reference: a build tool, never installed.
//   keap-auth-reference OUTPUT_FOLDER      writes the man page and the completions there
//   keap-auth-reference --check FILE.md    exit 1, naming the file, when its generated tables are stale
//   keap-auth-reference --update FILE.md   rewrites them in place
#include "reference/reference.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    std::fprintf(stderr, "keap-auth-reference: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

int documents(const std::string& mode, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::fprintf(stderr, "keap-auth-reference: cannot read %s\n", path.c_str());
    return 1;
  }
  auto regenerated = keap::reference::regenerate(text.str());
  if (mode == "--update") {
    return write_file(path, regenerated) ? 0 : 1;
  }
  if (regenerated != text.str()) {
    std::fprintf(stderr,
                 "keap-auth-reference: the generated tables in %s differ from what the program says; run "
                 "`build/tools/reference/keap-auth-reference --update %s` and commit the result\n",
                 path.c_str(), path.c_str());
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 3 && (std::string(argv[1]) == "--check" || std::string(argv[1]) == "--update")) {
    return documents(argv[1], argv[2]);
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: keap-auth-reference OUTPUT_FOLDER | --check FILE.md | --update FILE.md\n");
    return 2;
  }
  std::string folder = argv[1];
  const std::pair<const char*, std::string> files[] = {
      {"keap-auth.1", keap::reference::man_page()},
      {"keap-auth.bash", keap::reference::bash_completion()},
      {"_keap-auth", keap::reference::zsh_completion()},
      {"keap-auth.fish", keap::reference::fish_completion()},
  };
  for (const auto& [name, text] : files) {
    if (!write_file(folder + "/" + name, text)) {
      return 1;
    }
  }
  return 0;
}
