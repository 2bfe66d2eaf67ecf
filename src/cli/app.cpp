#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "cli/launcher.hpp"
#include "cli/output.hpp"
#include "cli/parser.hpp"
#include "util/file_error.hpp"
#include "util/signals.hpp"

#include <csignal>
#include <exception>

namespace keap::cli {

const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> k_runners{
      {"login", run_login},   {"refresh", run_refresh}, {"token", run_token},
      {"status", run_status}, {"whoami", run_whoami},   {"emulator", run_emulator},
  };
  return k_runners;
}

int run(int argc, char** argv) {
  guard_standard_streams();
  // A write past RLIMIT_FSIZE must fail with EFBIG (and be rescued), not kill us with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  util::install_interrupt_handling();
  try {
    check_launcher_version();
    CommandLine line;
    if (auto code = parse_command_line(argc, argv, line)) {
      return *code;
    }
    auto runner = runners().find(line.command);
    if (runner == runners().end()) {
      throw Error(ExitCode::failure, "internal error: no runner for the command \"" + line.command + "\"");
    }
    return runner->second(line);
  } catch (const Error& error) {
    print_error(error);
    return static_cast<int>(error.code());
  } catch (const util::FileError& error) {
    // A file error that no layer translated still names the file and the reason.
    print_error(Error(ExitCode::failure, error.what()));
    return static_cast<int>(ExitCode::failure);
  } catch (const std::exception& error) {
    print_error(Error(ExitCode::failure, std::string("unexpected failure: ") + error.what(),
                      "please report this with the command you ran"));
    return static_cast<int>(ExitCode::failure);
  }
}

} // namespace keap::cli
