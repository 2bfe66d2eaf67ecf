#include "support/process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace keap::test {

TempDir::TempDir() {
  char pattern[] = "/tmp/keap-auth-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = pattern;
}

namespace {

std::atomic<bool> g_test_case_failed{false};

} // namespace

void note_test_case_started() { g_test_case_failed = false; }
void note_assertion_failed() { g_test_case_failed = true; }

TempDir::~TempDir() {
  if (g_test_case_failed || std::uncaught_exceptions() > 0) {
    std::fprintf(stderr, "kept for a look: %s\n", m_path.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::permissions(m_path, std::filesystem::perms::owner_all, ignored);
  std::filesystem::remove_all(m_path, ignored);
}

void pause_briefly() { std::this_thread::sleep_for(std::chrono::milliseconds(10)); }

bool holds_open(pid_t pid, const std::string& path) {
  std::error_code error;
  auto proc = "/proc/" + std::to_string(pid);
  if (std::filesystem::read_symlink(proc + "/exe", error) == std::filesystem::read_symlink("/proc/self/exe", error)) {
    return false; // not exec'ed yet: what it holds may be ours
  }
  auto wanted = std::filesystem::weakly_canonical(path, error);
  auto folder = proc + "/fd";
  for (std::filesystem::directory_iterator entry(folder, error), end; !error && entry != end; entry.increment(error)) {
    std::error_code unreadable;
    if (std::filesystem::read_symlink(entry->path(), unreadable) == wanted) {
      return true;
    }
  }
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

void write_file(const std::string& path, const std::string& content, unsigned mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ::chmod(path.c_str(), mode);
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

unsigned file_mode(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_mode & 07777 : 0;
}

namespace {

/// What a process that did not end in time was doing, for the failure message: which program it is
/// (the test binary itself means it hung between fork and exec), its state and where it waits.
std::string describe_hung_process(pid_t pid) {
  auto proc = "/proc/" + std::to_string(pid) + "/";
  auto command = read_file(proc + "cmdline");
  std::replace(command.begin(), command.end(), '\0', ' ');
  std::string description = "\n[test support: process " + std::to_string(pid) +
                            " still running at the timeout: " + command + "; wchan " + read_file(proc + "wchan") +
                            "; stat " + read_file(proc + "stat");
  std::error_code ignored;
  for (const auto& task : std::filesystem::directory_iterator(proc + "task", ignored)) {
    description += "; thread " + task.path().filename().string() + " in " + read_file(task.path() / "wchan");
  }
  return description + "]\n";
}

} // namespace

Process::Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                 const std::string& cwd, const std::optional<std::string>& stdin_text, const Limits& limits) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    auto name = std::string(variable.substr(0, variable.find('=')));
    // A variable the test sets replaces ours (a second HOME= would be ignored: getenv takes the first).
    if (!variable.starts_with("KEAP_") && !variable.starts_with("BROWSER=") && env.count(name) == 0) {
      environment.emplace_back(variable);
    }
  }
  for (const auto& [name, value] : env) {
    environment.push_back(name + "=" + value);
  }
  if (stdin_text) {
    write_file(m_io.file("stdin"), *stdin_text);
  }
  std::string out_path = m_io.file("stdout"), err_path = m_io.file("stderr");
  std::string in_path = stdin_text ? m_io.file("stdin") : "/dev/null";
  // Everything the child needs is built before fork: the test process has threads (emulators, proxies),
  // so between fork and exec the child may only make async-signal-safe calls, never allocate.
  std::vector<char*> args, envp;
  for (const auto& word : argv) {
    args.push_back(const_cast<char*>(word.c_str()));
  }
  args.push_back(nullptr);
  for (auto& variable : environment) {
    envp.push_back(variable.data());
  }
  envp.push_back(nullptr);
  m_pid = ::fork();
  if (m_pid < 0) {
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (m_pid == 0) {
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::close_range(3, ~0U, 0);
    if (limits.umask) {
      ::umask(*limits.umask);
    }
    if (limits.file_size_limit) {
      rlimit limit{*limits.file_size_limit, *limits.file_size_limit};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    if (limits.user && (::setgid(*limits.user) != 0 || ::setuid(*limits.user) != 0)) {
      ::_exit(125);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      ::_exit(126);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
}

Process::~Process() {
  if (!m_result) {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
}

std::string Process::out() const { return read_file(m_io.file("stdout")); }
std::string Process::err() const { return read_file(m_io.file("stderr")); }

bool Process::wait_for_err(const std::string& text, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (err().find(text) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Process::send_signal(int signal) const { ::kill(m_pid, signal); }

bool Process::running() {
  if (m_result) {
    return false;
  }
  int status = 0;
  if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
    m_result = ProcessResult{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out(), err()};
    return false;
  }
  return true;
}

ProcessResult Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!m_result) {
    auto state = describe_hung_process(m_pid);
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_result = ProcessResult{-1, out(), err() + state};
  }
  return *m_result;
}

ProcessResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                  const std::string& cwd, const std::optional<std::string>& stdin_text, const Limits& limits) {
  Process process(argv, env, cwd, stdin_text, limits);
  return process.wait();
}

} // namespace keap::test
