#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

/// The agent under systemd (libsystemd's sd-daemon): readiness and status for Type=notify, the
/// watchdog, and sockets handed over by a .socket unit. Outside systemd each call does nothing.
namespace keap::agent {

/// READY=1 with a STATUS= line.
void notify_ready(const std::string& status);
/// STATUS= only.
void notify_status(const std::string& status);
/// STOPPING=1, RELOADING=1 (then READY=1 again) and WATCHDOG=1.
void notify_stopping();
void notify_reloading();
void notify_watchdog();

/// How often WATCHDOG=1 must be sent (half of WATCHDOG_USEC), or nothing when no watchdog is asked for.
std::optional<std::chrono::milliseconds> watchdog_interval();

/// The listening sockets systemd passed (LISTEN_FDS, LISTEN_FDNAMES), taken over; none outside socket
/// activation.
std::vector<int> activated_sockets();

} // namespace keap::agent
