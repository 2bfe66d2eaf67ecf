#pragma once

namespace keap::util {

/// Keeps this process's memory (tokens, the client secret, the store's keys) to itself: no core dump
/// is ever written (RLIMIT_CORE 0), and the process is not dumpable, so another process of the same
/// user can neither ptrace it nor read /proc/PID/mem. A program it execs (the browser) starts dumpable
/// again, as the kernel does. Called first thing in main.
void keep_memory_private();

} // namespace keap::util
