#include "oauth/start_page.hpp"

#include "core/error.hpp"
#include "html/html.hpp"
#include "html/templates.hpp"
#include "util/posix_file.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <unistd.h>

namespace keap::oauth {

StartPage::StartPage(const std::string& authorize_url, const util::EnvironmentLookup& environment) {
  auto base = environment("XDG_RUNTIME_DIR").value_or(environment("TMPDIR").value_or("/tmp"));
  std::string pattern = base + "/keap-auth-login-XXXXXX";
  std::vector<char> folder(pattern.begin(), pattern.end());
  folder.push_back('\0');
  if (::mkdtemp(folder.data()) == nullptr) { // mkdtemp makes it 0700
    throw Error(ExitCode::failure,
                "cannot make a private folder in " + base + " for the browser's start page: " + std::strerror(errno),
                "set TMPDIR to a writable folder, or use --no-browser and open the URL yourself");
  }
  m_folder = folder.data();
  m_file = m_folder + "/start.html";
  auto page = html::render_template(html::templates::k_start_html, {{"url", authorize_url}});
  if (!util::write_new_private_file(m_file, page)) {
    ::rmdir(m_folder.c_str());
    throw Error(ExitCode::failure, "cannot write the browser's start page in " + m_folder,
                "use --no-browser and open the URL yourself");
  }
}

StartPage::~StartPage() {
  ::unlink(m_file.c_str());
  ::rmdir(m_folder.c_str());
}

} // namespace keap::oauth
