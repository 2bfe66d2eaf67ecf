#include "agent/systemd.hpp"

#include <cstdlib>
#include <string>

#include <systemd/sd-daemon.h>

namespace keap::agent {

namespace {

void notify(const std::string& state) {
  (void)sd_notify(0, state.c_str()); // nothing to do when it fails: the service manager is not listening
}

/// A STATUS= value on one line.
std::string one_line(std::string text) {
  for (auto& c : text) {
    c = c == '\n' || c == '\r' ? ' ' : c;
  }
  return text;
}

} // namespace

void notify_ready(const std::string& status) { notify("READY=1\nSTATUS=" + one_line(status)); }
void notify_status(const std::string& status) { notify("STATUS=" + one_line(status)); }
void notify_stopping() { notify("STOPPING=1"); }
void notify_reloading() { notify("RELOADING=1"); }
void notify_watchdog() { notify("WATCHDOG=1"); }

std::optional<std::chrono::milliseconds> watchdog_interval() {
  uint64_t microseconds = 0;
  if (sd_watchdog_enabled(0, &microseconds) <= 0 || microseconds == 0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(microseconds / 2000);
}

std::vector<int> activated_sockets() {
  std::vector<int> sockets;
  int count = sd_listen_fds(1); // 1: unset LISTEN_* so nothing the agent starts inherits them
  for (int i = 0; i < count; ++i) {
    sockets.push_back(SD_LISTEN_FDS_START + i);
  }
  return sockets;
}

} // namespace keap::agent
