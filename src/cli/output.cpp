#include "cli/output.hpp"

#include <csignal>
#include <cstdio>
#include <iostream>

namespace keap::cli {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted = true; }

} // namespace

void say(const std::string& message) { std::cerr << "keap-auth: " << message << std::endl; }

void warn(const std::string& message) { std::cerr << "keap-auth: warning: " << message << std::endl; }

void print_error(const Error& error) {
  std::cerr << "keap-auth: error: " << error.what() << "\n";
  if (!error.hint().empty()) {
    std::cerr << "keap-auth: hint: " << error.hint() << "\n";
  }
  std::cerr.flush();
}

void print_stdout(const std::string& text) {
  std::cout << text;
  std::cout.flush();
}

const std::atomic<bool>& interrupt_flag() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
  return g_interrupted;
}

} // namespace keap::cli
