#pragma once

#include <termios.h>

/// SIGINT and SIGTERM for a process that must not lose a rotated token. Outside a DeferInterrupts
/// scope a signal ends the process at once, as it would without a handler (nothing is in flight that
/// a death could lose). Inside one it is only recorded: waits that end cleanly on their own poll
/// interrupt_requested(), and critical sections (from sending a refresh until its answer is durable)
/// finish first, after which the caller ends the command with exit 130.
namespace keap::util {

/// Installs the handlers; idempotent.
void install_interrupt_handling();

/// True once SIGINT or SIGTERM arrived inside a DeferInterrupts scope.
bool interrupt_requested();

/// While alive, the terminal on `fd` is put back as `saved` if SIGINT or SIGTERM ends the process (a
/// Ctrl-C while a secret is typed with echo off must not leave the shell without echo). One at a time.
class RestoreTerminalOnInterrupt {
public:
  RestoreTerminalOnInterrupt(int fd, const struct termios& saved);
  ~RestoreTerminalOnInterrupt();
  RestoreTerminalOnInterrupt(const RestoreTerminalOnInterrupt&) = delete;
  RestoreTerminalOnInterrupt& operator=(const RestoreTerminalOnInterrupt&) = delete;
};

/// While alive, SIGINT and SIGTERM are recorded instead of ending the process. Nests.
class DeferInterrupts {
public:
  DeferInterrupts();
  ~DeferInterrupts();
  DeferInterrupts(const DeferInterrupts&) = delete;
  DeferInterrupts& operator=(const DeferInterrupts&) = delete;
};

} // namespace keap::util
