#include "util/signals.hpp"

#include <atomic>
#include <csignal>

#include <unistd.h>

namespace keap::util {

namespace {

// What a signal handler can reach: lock-free atomics, safe to touch from a handler, and the terminal
// state to put back (written before g_terminal_fd says it is there).
std::atomic<int> g_defer_depth{0};
std::atomic<bool> g_interrupt_requested{false};
std::atomic<int> g_terminal_fd{-1};
struct termios g_terminal_saved {};

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int signal_number) {
  if (g_defer_depth.load() > 0) {
    g_interrupt_requested = true;
    return;
  }
  if (int fd = g_terminal_fd.load(); fd >= 0) {
    ::tcsetattr(fd, TCSANOW, &g_terminal_saved); // async-signal-safe
  }
  // Nothing to protect: die of the signal, exactly as without a handler.
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(signal_number, &action, nullptr);
  std::raise(signal_number);
}

} // namespace

void install_interrupt_handling() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART; // a recorded signal must not break a system call that is finishing a save
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_interrupt_requested.load(); }

RestoreTerminalOnInterrupt::RestoreTerminalOnInterrupt(int fd, const struct termios& saved) {
  g_terminal_saved = saved;
  g_terminal_fd = fd;
}

RestoreTerminalOnInterrupt::~RestoreTerminalOnInterrupt() { g_terminal_fd = -1; }

DeferInterrupts::DeferInterrupts() { ++g_defer_depth; }

DeferInterrupts::~DeferInterrupts() { --g_defer_depth; }

} // namespace keap::util
