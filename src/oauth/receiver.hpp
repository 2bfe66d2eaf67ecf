#pragma once

#include "net/http_server.hpp"
#include "net/tls_identity.hpp"
#include "oauth/callback.hpp"
#include "util/url.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace keap::oauth {

/// How a login ended, as the browser is to be told.
struct LoginOutcome {
  bool success = false;
  std::string title;
  std::string message;
  std::string hint;
  std::string saved_to; ///< where the grant went, shown on the success page
};

/// The loopback HTTP(S) server behind redirect_uri. It binds in the constructor, so a busy port fails
/// before any browser opens, then serves on background threads until destroyed.
///
/// Only the callback path is answered (anything else: 404), only with the receiver's own Host (a
/// DNS-rebinding page cannot talk to it), and a callback whose state is missing or wrong gets an error
/// page and is otherwise ignored: a stray or forged request can neither complete nor cancel the login.
/// The first callback with the right state is handed to wait_for_callback(); its browser request is held
/// until finish() says how the login ended, so the page tells the truth. Requests are read whole within
/// small limits (8 KiB of target, 16 KiB of headers, 2 s to arrive) by an event-driven server, so
/// clients that stall cost no thread. Destruction answers a request still held, stops accepting, and
/// ends every connection: however clients behave, it takes well under a second.
class Receiver {
public:
  /// `redirect_uri` as configured; an https one needs `tls`, the certificate to serve.
  Receiver(const std::string& redirect_uri, std::string expected_state, const net::TlsIdentity* tls = nullptr);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  /// The redirect_uri to send: the configured string exactly (servers compare it as a string), with the
  /// bound port written in only when the configured port is 0.
  const std::string& redirect_uri() const { return m_redirect_uri; }

  /// A one-time address on this receiver that forwards the browser to `authorize_url`: what a browser
  /// is started with, so the state never appears on a command line. The address itself does, where
  /// every local user can read it, so its second use stops the login (start_reused()): whoever opened it
  /// first, a login that someone else may be racing is not one to finish. A confined browser (a snap or
  /// flatpak, with its own /tmp) reaches it as it reaches the redirect.
  std::string start_address(const std::string& authorize_url);

  /// True once the start address has been opened a second time.
  bool start_reused() const { return m_start_uses.load() > 1; }

  /// Blocks until a callback with the right state arrives (returned), or until `deadline` passes or
  /// `cancelled()` turns true (nothing returned).
  std::optional<Callback> wait_for_callback(std::chrono::steady_clock::time_point deadline,
                                            const std::function<bool()>& cancelled);

  /// Tells the waiting browser request how the login ended. A success is shown through a redirect to
  /// a clean local URL, so the code leaves the address bar and history.
  void finish(LoginOutcome outcome);

  /// After finish(): waits, at most `limit`, until the browser has been shown the result.
  void wait_until_shown(std::chrono::milliseconds limit);

  /// --verbose: told each request (method, path, redacted query, status).
  void set_log(std::function<void(const std::string&)> log) { m_log = std::move(log); }

private:
  struct Page {
    int status;
    std::string html;
    std::string location; ///< for a redirect
  };
  void bind(const util::Url& redirect);
  void serve(const net::ServerRequest& request, const net::Responder& responder);
  /// The page for a request, or nothing when it is the callback, held for finish().
  std::optional<Page> handle(const net::ServerRequest& request, const net::Responder& responder);
  std::optional<Page> handle_callback(const std::string& query, const net::Responder& responder);
  std::optional<Page> start_page(const net::ServerRequest& request);
  /// The page that tells the browser how the login ended. Under m_mutex.
  Page outcome_page();
  void answer(const net::Responder& responder, const Page& page, const net::ServerRequest* request = nullptr);

  std::string m_redirect_uri;
  util::Url m_bound;        ///< the redirect URI with the port bound
  std::string m_start_path; ///< /keap-auth/start/NONCE, once start_address() made it
  std::string m_authorize_url;
  std::atomic<int> m_start_uses{0};
  std::string m_callback_path;
  std::string m_expected_state;
  int m_port = 0;
  std::vector<std::string> m_allowed_hosts;
  std::unique_ptr<net::HttpServer> m_server;

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::optional<Callback> m_callback;
  std::optional<net::Responder> m_held; ///< the browser's callback request, until finish()
  std::optional<LoginOutcome> m_outcome;
  std::function<void(const std::string&)> m_log;
  bool m_shown = false;
};

/// The path of the page a successful login redirects to.
inline constexpr const char* k_result_path = "/keap-auth/done";
/// Where start addresses live on the receiver.
inline constexpr const char* k_start_prefix = "/keap-auth/start/";

} // namespace keap::oauth
