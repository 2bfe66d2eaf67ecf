#include "cli/fast_path.hpp"
#include "cli/launcher.hpp"
#include "cli/output.hpp"
#include "cli/parser.hpp"
#include "util/private_memory.hpp"

#include <csignal>

#include <fcntl.h>
#include <unistd.h>

/// The light executable: the token hot path, the command line (help, version and usage errors), and
/// then the full program.
int main(int argc, char** argv) {
  keap::util::keep_memory_private();
  // A reader that went away is an error print_stdout reports (loudly, for a token), not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  bool stdout_closed = ::fcntl(STDOUT_FILENO, F_GETFD) == -1;
  keap::cli::guard_standard_streams();
  if (auto code = keap::cli::try_fast_path(argc, argv)) {
    return *code;
  }
  keap::cli::CommandLine line;
  if (auto code = keap::cli::parse_command_line(argc, argv, line)) {
    return *code;
  }
  if (stdout_closed) {
    ::close(STDOUT_FILENO); // the full program must see what the caller gave us
  }
  return keap::cli::run_full_program(argc, argv);
}
