#include "cli/app.hpp"

#include "cli/context.hpp"
#include "cli/parser.hpp"
#include "core/version.hpp"
#include "term/output.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/private_memory.hpp"
#include "util/signals.hpp"

#include <csignal>
#include <cstdlib>
#include <exception>

namespace keap::cli {

namespace {

/// A failed command reports on stderr as always, and, when --json was asked for, as one JSON object
/// on stdout too, so a monitor reading stdout gets an answer. A login-needed error also names any
/// rescue file that may hold a newer pair.
/// A hint's commands for the profile the command acted on: `keap-auth login` becomes
/// `keap-auth login --profile acme` when --profile chose acme (KEAP_PROFILE and the config choose it
/// for the next command too).
Error for_profile(const Error& error, const GlobalOptions& global) {
  const auto& profile = global.config.profile;
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

int report(const Error& raised, const GlobalOptions& global, const Command* command) {
  if (raised.code() == ExitCode::broken_pipe) {
    return static_cast<int>(ExitCode::broken_pipe); // `| head` has what it wanted; nothing to tell
  }
  auto error = for_profile(raised, global);
  std::vector<std::string> rescue;
  if (error.code() == ExitCode::relogin) {
    try {
      auto quiet = global;
      quiet.quiet = true;
      auto context = open_context(quiet);
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
  term::print_error(error);
  for (const auto& advice : rescue) {
    term::say(advice);
  }
  if (command != nullptr && command->answers_in_json() && !error.answered_on_stdout()) {
    nlohmann::ordered_json out = {
        {"schema", 1},
        {"error",
         {{"class", exit_class(error.code())},
          {"exit_code", static_cast<int>(error.code())},
          {"message", error.what()},
          {"hint", error.hint().empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(error.hint())},
          {"rescue_advice", rescue}}}};
    try {
      term::print_stdout(util::dump_json(out, 2));
    } catch (const Error&) {
    }
  }
  return static_cast<int>(error.code());
}

/// In the full program: an Error when the light program that started it is of another version, so a
/// stale full program left by another installation never runs with the wrong parser.
void check_launcher_version() {
  const char* expected = std::getenv(k_expected_version_variable);
  if (expected == nullptr) {
    return; // started directly (tests, or by hand)
  }
  std::string light(expected);
  ::unsetenv(k_expected_version_variable); // not for the browser or anything else we start
  if (light != version()) {
    throw Error(ExitCode::failure,
                "keap-auth " + light + " found keap-auth-full " + version() +
                    ": the two programs are from different installations",
                "reinstall keap-auth so that both come from the same version");
  }
}

} // namespace

int run(int argc, char** argv, const CommandTable& commands) {
  util::keep_memory_private();
  term::guard_standard_streams();
  // A write past RLIMIT_FSIZE must fail with EFBIG (and be rescued), not kill us with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  util::install_interrupt_handling();
  GlobalOptions global;
  const Command* command = nullptr;
  try {
    check_launcher_version();
    auto parsed = parse_command_line(argc, argv, commands, global);
    if (parsed.exit_code) {
      return *parsed.exit_code;
    }
    command = parsed.command;
    return command->run(global);
  } catch (const Error& error) {
    return report(error, global, command);
  } catch (const util::FileError& error) {
    // A file error that no layer translated still names the file and the reason.
    return report(Error(ExitCode::failure, error.what()), global, command);
  } catch (const std::exception& error) {
    return report(Error(ExitCode::failure, std::string("unexpected failure: ") + error.what(),
                        "please report this with the command you ran"),
                  global, command);
  }
}

} // namespace keap::cli
