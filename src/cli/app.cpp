#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "cli/launcher.hpp"
#include "cli/output.hpp"
#include "cli/parser.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/private_memory.hpp"
#include "util/signals.hpp"

#include <csignal>
#include <exception>

namespace keap::cli {

const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> k_runners{
      {"login", run_login},   {"refresh", run_refresh}, {"token", run_token}, {"status", run_status},
      {"whoami", run_whoami}, {"api", run_api},         {"list", run_list},  {"store", run_store},   {"config", run_config},
      {"emulator", run_emulator}, {"logout", run_logout},
  };
  return k_runners;
}

namespace {

/// A failed command reports on stderr as always, and, when --json was asked for, as one JSON object
/// on stdout too, so a monitor reading stdout gets an answer. A login-needed error also names any
/// rescue file that may hold a newer pair.
/// A hint's commands for the profile the command acted on: `keap-auth login` becomes
/// `keap-auth login --profile acme` when --profile chose acme (KEAP_PROFILE and the config choose it
/// for the next command too).
Error for_profile(const Error& error, const CommandLine& line) {
  const auto& profile = line.global.config.profile;
  if (!profile || *profile == k_default_profile || !is_profile_name(*profile)) {
    return error;
  }
  auto hint = error.hint();
  for (const char* command : {"login", "refresh", "token", "status"}) {
    std::string plain = std::string("`keap-auth ") + command;
    for (auto at = hint.find(plain); at != std::string::npos; at = hint.find(plain, at + 1)) {
      auto end = at + plain.size();
      if (end < hint.size() && (hint[end] == '`' || hint[end] == ' ') && hint.compare(end, 10, " --profile") != 0) {
        hint.insert(end, " --profile " + *profile);
      }
    }
  }
  return error.with_hint(hint);
}

int report(const Error& raised, const CommandLine& line) {
  if (raised.code() == ExitCode::broken_pipe) {
    return static_cast<int>(ExitCode::broken_pipe); // `| head` has what it wanted; nothing to tell
  }
  auto error = for_profile(raised, line);
  std::vector<std::string> rescue;
  if (error.code() == ExitCode::relogin) {
    try {
      auto global = line.global;
      global.quiet = true;
      auto context = open_context(global);
      auto rescued = context.pending_rescues();
      rescue = context.rescue_advice();
      if (!rescued.empty()) {
        // A login would throw away what the rescue file holds: putting it in place is the fix.
        error = error.with_hint("put the newer credentials in place first: `" + rescued.front().restore + "`");
      } else if (auto mistyped = context.unknown_profile_hint()) {
        error = error.with_hint(*mistyped + " (else " + error.hint() + ")");
      }
    } catch (const std::exception&) {
    }
  }
  print_error(error);
  for (const auto& advice : rescue) {
    say(advice);
  }
  if (wants_json(line) && !error.answered_on_stdout()) {
    nlohmann::ordered_json out = {
        {"schema", 1},
        {"error",
         {{"class", exit_class(error.code())},
          {"exit_code", static_cast<int>(error.code())},
          {"message", error.what()},
          {"hint", error.hint().empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(error.hint())},
          {"rescue_advice", rescue}}}};
    try {
      print_stdout(util::dump_json(out, 2));
    } catch (const Error&) {
    }
  }
  return static_cast<int>(error.code());
}

} // namespace

int run(int argc, char** argv) {
  util::keep_memory_private();
  guard_standard_streams();
  // A write past RLIMIT_FSIZE must fail with EFBIG (and be rescued), not kill us with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  util::install_interrupt_handling();
  CommandLine line;
  try {
    check_launcher_version();
    if (auto code = parse_command_line(argc, argv, line)) {
      return *code;
    }
    auto runner = runners().find(line.command);
    if (runner == runners().end()) {
      throw Error(ExitCode::failure, "internal error: no runner for the command \"" + line.command + "\"");
    }
    return runner->second(line);
  } catch (const Error& error) {
    return report(error, line);
  } catch (const util::FileError& error) {
    // A file error that no layer translated still names the file and the reason.
    return report(Error(ExitCode::failure, error.what()), line);
  } catch (const std::exception& error) {
    return report(Error(ExitCode::failure, std::string("unexpected failure: ") + error.what(),
                        "please report this with the command you ran"),
                  line);
  }
}

} // namespace keap::cli
