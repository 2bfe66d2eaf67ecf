#include "agent/agent.hpp"

#include "agent/endpoints.hpp"
#include "agent/service.hpp"
#include "agent/systemd.hpp"
#include "agent/workers.hpp"
#include "pgstore/listener.hpp"
#include "util/posix_file.hpp"
#include "util/text.hpp"

#include <condition_variable>
#include <csignal>
#include <ctime>
#include <thread>
#include <utility>

#include <grp.h>
#include <pthread.h>
#include <sys/resource.h>

namespace keap::agent {

namespace {

/// A configuration as loaded: what the service needs, read whole before anything changes.
struct Loaded {
  std::shared_ptr<cli::Context> context;
  Settings settings;
};

Loaded load(const cli::GlobalOptions& global, const Flags& flags) {
  auto context = std::make_shared<cli::Context>(cli::open_context(global));
  auto settings = read_settings(context->config, flags, context->environment);
  return {context, std::move(settings)};
}

std::optional<gid_t> socket_group(const Settings& settings) {
  if (!settings.socket_group) {
    return std::nullopt;
  }
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(settings.socket_group->c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) {
    throw Error(ExitCode::usage, "agent.socket_group: there is no group \"" +
                                     util::printable_excerpt(*settings.socket_group, 64) + "\"");
  }
  return found->gr_gid;
}

/// Binds every listener (or takes systemd's sockets); returns what it listens on, for the log.
std::string listen_all(net::HttpServer& server, const Settings& settings) {
  auto activated = activated_sockets();
  if (!activated.empty()) {
    for (int fd : activated) {
      server.adopt(fd, "the agent");
    }
    return std::to_string(activated.size()) + " socket(s) from systemd";
  }
  std::string where;
  for (const auto& listen : settings.listen) {
    if (listen.kind == Listen::Kind::unix_socket) {
      auto folder = util::folder_of(listen.path);
      if (folder.ends_with("/keap-auth")) {
        util::create_private_folders(folder); // the default under XDG_RUNTIME_DIR or /run
      }
      server.listen_unix(listen.path, settings.socket_mode, socket_group(settings), "the agent");
    } else {
      server.listen_tcp(listen.host, listen.port, "the agent", "give another --listen");
    }
    where += (where.empty() ? "" : ", ") + listen.text;
  }
  return where;
}

bool any_tcp(const Settings& settings) {
  return std::any_of(settings.listen.begin(), settings.listen.end(),
                     [](const Listen& listen) { return listen.kind == Listen::Kind::tcp; });
}

/// Keeps the service fresh on its own thread: tick(), then sleep until the next thing is due.
class Scheduler {
public:
  explicit Scheduler(std::function<std::shared_ptr<Service>()> current)
      : m_current(std::move(current)), m_thread([this] { loop(); }) {}
  ~Scheduler() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join(); // a refresh in flight is saved first
  }
  void wake() { m_wake.notify_all(); }

private:
  void loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
      lock.unlock();
      auto next = m_current()->tick();
      lock.lock();
      m_wake.wait_until(lock, next, [this] { return m_stopping; });
    }
  }

  std::function<std::shared_ptr<Service>()> m_current;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread;
};

/// With the PostgreSQL store: reads a profile again as soon as another host (or a CLI command) commits a
/// change to it, from the store's announcements (LISTEN), instead of at the next store_poll. A lost
/// session (a database restart) is made again; callers keep being served from memory meanwhile.
class StoreWatcher {
public:
  StoreWatcher(std::function<std::shared_ptr<Service>()> current, const Log& log)
      : m_current(std::move(current)), m_log(log), m_thread([this] { loop(); }) {}
  ~StoreWatcher() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }

private:
  bool pause(std::chrono::seconds how_long) {
    std::unique_lock lock(m_mutex);
    return !m_wake.wait_for(lock, how_long, [this] { return m_stopping; });
  }
  bool stopping() {
    std::lock_guard lock(m_mutex);
    return m_stopping;
  }

  void loop() {
    std::optional<pgstore::ChangeListener> listener;
    std::shared_ptr<Service> listening_for;
    bool said = false;
    while (!stopping()) {
      auto service = m_current();
      if (service->postgres() == nullptr) {
        listener.reset(); // the file store: each request looks at the file itself (until a reload says otherwise)
        if (!pause(std::chrono::seconds(2))) {
          return;
        }
        continue;
      }
      try {
        if (!listener || listening_for != service) {
          bool was_lost = !listener && listening_for == service;
          listener.reset();
          listener.emplace(*service->postgres());
          listening_for = service;
          if (std::exchange(said, false)) {
            m_log.info("listening for the store's changes again", {});
          }
          if (was_lost) {
            service->catch_up();
          }
        }
        for (const auto& profile : listener->wait(std::chrono::seconds(1))) {
          service->changed(profile);
        }
      } catch (const Error& error) {
        listener.reset();
        if (!std::exchange(said, true)) {
          m_log.warn("not listening for the store's changes; reading it every store_poll until it answers again",
                     {{"reason", error.what()}});
        }
        if (!pause(std::chrono::seconds(2))) {
          return;
        }
      }
    }
  }

  std::function<std::shared_ptr<Service>()> m_current;
  const Log& m_log;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread;
};

/// SIGINT, SIGTERM and SIGHUP are taken by the main thread alone, with sigtimedwait: blocked before any
/// thread starts, so every thread inherits the mask and no handler runs in the middle of a refresh.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

/// A server keeps a descriptor per connection: max_connections (1,024 by default) needs more than the
/// usual soft limit, and the hard limit is the process's to take.
void raise_descriptor_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

} // namespace

int run(const cli::GlobalOptions& global, const Flags& flags) {
  raise_descriptor_limit();
  auto signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto loaded = load(global, flags);
  Log log(loaded.settings.log_format == "json", loaded.context->environment);
  Metrics metrics;
  std::optional<Workers> workers(std::in_place, 8);
  auto first = std::make_shared<Service>(loaded.context, loaded.settings, log, metrics);
  std::mutex current_mutex;
  std::shared_ptr<Service> current = first;
  auto now_serving = [&] {
    std::lock_guard lock(current_mutex);
    return current;
  };
  auto access = access_of(loaded.settings, any_tcp(loaded.settings) ? tcp_key_from(loaded.settings.tcp_key_file) : "");
  Pacer pacer; // outlives reloads: what was sent to Keap still counts
  std::optional<Proxy> proxy(std::in_place, now_serving, pacer, metrics, log);
  Endpoints endpoints(now_serving, access, metrics, log, *workers, *proxy);
  net::ServerLimits limits;
  limits.header_timeout = loaded.settings.header_timeout;
  limits.idle_timeout = loaded.settings.idle_timeout;
  limits.body_timeout = std::max<std::chrono::milliseconds>(loaded.settings.header_timeout,
                                                            loaded.settings.upstream_timeout);
  limits.body_bytes = loaded.settings.max_body; // a proxied call's body, buffered to be sent with a length
  limits.write_timeout = std::chrono::seconds(30);
  limits.max_connections = loaded.settings.max_connections;
  net::HttpServer server([&](net::ServerRequest request,
                             net::Responder responder) { endpoints.handle(std::move(request), std::move(responder)); },
                         limits, refusal_answer);
  auto where = listen_all(server, loaded.settings);
  first->start();
  server.start(2);
  Scheduler scheduler(now_serving);
  StoreWatcher watcher(now_serving, log);
  log.info("listening", {{"on", where}});
  notify_ready("serving on " + where);

  auto watchdog = watchdog_interval();
  for (;;) {
    auto wait = watchdog.value_or(std::chrono::milliseconds(60000));
    timespec timeout{static_cast<time_t>(wait.count() / 1000), static_cast<long>((wait.count() % 1000) * 1000000)};
    int signal = sigtimedwait(&signals, nullptr, &timeout);
    if (signal == SIGINT || signal == SIGTERM) {
      break;
    }
    if (watchdog) {
      notify_watchdog();
    }
    if (signal != SIGHUP) {
      continue;
    }
    notify_reloading();
    try {
      auto fresh = load(global, flags);
      auto service = std::make_shared<Service>(fresh.context, fresh.settings, log, metrics);
      service->start();
      {
        std::lock_guard lock(current_mutex);
        current = service;
      }
      scheduler.wake();
      log.info("reloaded", {{"note", "listeners and access rules are kept until a restart"}});
    } catch (const Error& error) {
      log.error("reload failed; the configuration in force is kept", {{"reason", error.what()}});
    }
    notify_ready("serving on " + where);
  }
  notify_stopping();
  log.info("stopping", {{"drain_timeout", std::to_string(loaded.settings.drain_timeout.count()) + "s"}});
  server.stop(loaded.settings.drain_timeout);
  proxy.reset();
  workers.reset(); // what was asked before the stop is answered (or its client is gone) before endpoints go
  return 0;
}

} // namespace keap::agent
