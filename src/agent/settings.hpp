#pragma once

#include "agent/pacing.hpp"
#include "core/config.hpp"
#include "core/config_keys.hpp"
#include "util/environment.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

/// `keap-auth agent`'s settings: the config file's "agent" object, then the command's flags over it,
/// checked as strictly as every other key (an unknown key or a bad value is exit 2 naming it).
namespace keap::agent {

/// Where the agent listens.
struct Listen {
  enum class Kind { unix_socket, tcp };
  Kind kind = Kind::unix_socket;
  std::string path; ///< unix
  std::string host; ///< tcp: a loopback address
  int port = 0;     ///< tcp
  std::string text; ///< as written, for messages
};

/// A file kept holding a profile's current token.
struct Sink {
  std::string profile;
  std::string path;
  std::string format = "token"; ///< token | header | json | env
  unsigned mode = 0600;
  std::optional<std::string> group;
};

struct Settings {
  std::vector<Listen> listen;        ///< never empty once read (the default is filled in)
  std::vector<std::string> profiles; ///< empty: every profile the store and the config know
  bool refresh_ahead = true;         ///< "ahead" (false: "on-demand")
  double refresh_at_fraction = 0.5;
  std::chrono::seconds min_valid{15 * 60};
  std::chrono::seconds keep_alive{30 * 86400};
  std::vector<Sink> sinks;
  std::chrono::seconds drain_timeout{10};
  size_t max_connections = 1024;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds store_poll{60};
  unsigned socket_mode = 0600;
  std::optional<std::string> socket_group;
  std::vector<std::string> allow_users;
  std::vector<std::string> allow_groups;
  std::string tcp_key_file;        ///< filled in: beside the state folder's credentials unless set
  std::string log_format = "text"; ///< text | json
  // The proxy (docs/agent.md, "Calls to Keap through the agent").
  size_t max_body = 16 * 1024 * 1024; ///< a caller's request body; more is 413
  std::chrono::seconds max_wait{10};  ///< for the pacer and retries together
  std::chrono::seconds upstream_connect_timeout{10};
  std::chrono::seconds upstream_timeout{60};
  bool pacing = true; ///< false: no local limits (a benchmark; Keap's 429s are still retried)
  PaceLimits limits;
};

/// What the command line says of the agent.
struct Flags {
  std::vector<std::string> listen;
  std::vector<std::string> profiles;
  std::vector<std::string> sinks; ///< PROFILE:PATH[:FORMAT]
  std::optional<std::string> log_format;
};

/// The settings from `config.agent` and `flags`; Error (exit 2) naming the key or flag and what is
/// expected. Relative paths in the file are taken from its folder.
Settings read_settings(const Config& config, const Flags& flags, const util::EnvironmentLookup& environment);

/// Every key of the "agent" object, for the documentation (man page, docs/reference.md).
std::vector<KeyDescription> key_descriptions();

/// "unix:PATH" or "tcp:HOST:PORT", checked (HOST must be loopback); Error (exit 2) naming `origin`.
Listen parse_listen(const std::string& text, const std::string& origin);

} // namespace keap::agent
