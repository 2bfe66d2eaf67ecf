#include "core/version.hpp"
#include "light/fast_path.hpp"
#include "light/launcher.hpp"
#include "term/output.hpp"
#include "util/private_memory.hpp"

#include <csignal>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

/// The light executable: the token hot path and --version, and for everything else (every other
/// command, --help, usage errors) the full program, which replaces this one in the same process.
int main(int argc, char** argv) {
  keap::util::keep_memory_private();
  // A reader that went away is an error print_stdout reports (loudly, for a token), not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  bool stdout_closed = ::fcntl(STDOUT_FILENO, F_GETFD) == -1;
  keap::term::guard_standard_streams();
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    try {
      keap::term::print_stdout(std::string("keap-auth ") + keap::version() + "\n"); // as the full one says it
      return 0;
    } catch (const keap::Error& error) {
      keap::term::print_error(error);
      return static_cast<int>(error.code());
    }
  }
  if (auto code = keap::light::try_fast_path(argc, argv)) {
    return *code;
  }
  if (stdout_closed) {
    ::close(STDOUT_FILENO); // the full program must see what the caller gave us
  }
  return keap::light::run_full_program(argc, argv);
}
