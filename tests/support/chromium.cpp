#include "support/chromium.hpp"

#include <csignal>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keap::test {

namespace {

constexpr const char* k_chromium = "/usr/bin/chromium";

} // namespace

bool Chromium::available() { return ::access(k_chromium, X_OK) == 0; }

Chromium::Chromium(const std::vector<std::string>& extra_arguments) {
  int to_browser[2], from_browser[2];
  if (::pipe2(to_browser, O_CLOEXEC) != 0 || ::pipe2(from_browser, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::string profile = "--user-data-dir=" + m_profile.path();
  std::vector<std::string> args{k_chromium,
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--no-first-run",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--disable-quic",
                                "--remote-debugging-pipe",
                                profile};
  args.insert(args.end(), extra_arguments.begin(), extra_arguments.end());
  args.emplace_back("about:blank");
  // Built before fork: the child of a process with threads may not allocate before exec.
  std::vector<char*> argv;
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  m_pid = ::fork();
  if (m_pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (m_pid == 0) {
    // High numbers first, so dup2 onto 3 and 4 never collides with the pipe ends themselves.
    int in = ::fcntl(to_browser[0], F_DUPFD, 100);
    int out = ::fcntl(from_browser[1], F_DUPFD, 100);
    ::dup2(in, 3);
    ::dup2(out, 4);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::close_range(5, ~0U, 0);
    ::execv(k_chromium, argv.data());
    ::_exit(127);
  }
  ::close(to_browser[0]);
  ::close(from_browser[1]);
  m_to_browser = to_browser[1];
  m_from_browser = from_browser[0];
}

Chromium::~Chromium() {
  ::close(m_to_browser);
  ::close(m_from_browser);
  ::kill(m_pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
}

nlohmann::json Chromium::read_message(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto end = m_buffer.find('\0');
    if (end != std::string::npos) {
      auto message = nlohmann::json::parse(m_buffer.substr(0, end));
      m_buffer.erase(0, end + 1);
      return message;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd descriptor{m_from_browser, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) {
      throw std::runtime_error("Chromium did not answer in time");
    }
    char chunk[65536];
    auto count = ::read(m_from_browser, chunk, sizeof chunk);
    if (count <= 0) {
      throw std::runtime_error("Chromium closed the DevTools pipe");
    }
    m_buffer.append(chunk, static_cast<size_t>(count));
  }
}

nlohmann::json Chromium::call(const std::string& method, const nlohmann::json& params, const std::string& session) {
  int id = m_next_id++;
  nlohmann::json message = {{"id", id}, {"method", method}, {"params", params}};
  if (!session.empty()) {
    message["sessionId"] = session;
  }
  auto text = message.dump();
  text.push_back('\0');
  if (::write(m_to_browser, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw std::runtime_error("cannot write to Chromium");
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto reply = read_message(deadline);
    if (reply.contains("id") && reply["id"] == id) {
      if (reply.contains("error")) {
        throw std::runtime_error(method + " failed: " + reply["error"].dump());
      }
      return reply["result"];
    }
  }
}

std::string Chromium::open(const std::string& url) {
  auto target = call("Target.createTarget", {{"url", url}});
  auto attached = call("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}});
  return attached["sessionId"].get<std::string>();
}

std::string Chromium::evaluate(const std::string& session, const std::string& expression) {
  auto result = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}}, session);
  const auto& value = result["result"];
  if (!value.contains("value") || value["value"].is_null()) {
    return {};
  }
  return value["value"].is_string() ? value["value"].get<std::string>() : value["value"].dump();
}

std::string Chromium::wait_for(const std::string& session, const std::string& expression,
                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      auto value = evaluate(session, expression);
      if (!value.empty()) {
        return value;
      }
    } catch (const std::runtime_error&) {
      // The page may be between navigations; try again.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

} // namespace keap::test
