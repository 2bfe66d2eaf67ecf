#pragma once

#include <map>
#include <optional>
#include <string>

/// A minimal HTTP/1.1 client for the agent's Unix socket and loopback port (Debian's cpp-httplib cannot
/// speak over a Unix socket): one request per connection, read to the end.
namespace keap::test {

struct AgentAnswer {
  int status = 0;                             ///< 0 when there was no answer (refused, reset, nothing)
  std::map<std::string, std::string> headers; ///< names in lower case
  std::string body;
  std::string raw;
};

/// Sends `request` exactly as given over the Unix socket `path` (or to 127.0.0.1:`port`) and reads until
/// the agent closes; shuts the writing side after sending unless `keep_writing`.
AgentAnswer unix_exchange(const std::string& path, const std::string& request);
AgentAnswer tcp_exchange(int port, const std::string& request);

/// A GET with Connection: close and any `extra` header lines ("Name: value\r\n").
AgentAnswer unix_get(const std::string& path, const std::string& target, const std::string& extra = {});
AgentAnswer tcp_get(int port, const std::string& target, const std::string& extra = {});

/// A POST of `body` as JSON.
AgentAnswer unix_post(const std::string& path, const std::string& target, const std::string& body);

/// A connected Unix socket (for tests that hold connections open), or -1.
int unix_connect(const std::string& path);

/// The whole answer parsed from `raw`.
AgentAnswer parse_answer(const std::string& raw);

} // namespace keap::test
