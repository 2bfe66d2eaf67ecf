#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keap::emulator {

/// How a reply's body reaches the client.
enum class Delivery {
  whole,     ///< as it is
  truncated, ///< Content-Length says twice the body; the connection closes after the body
  endless,   ///< chunked, and after the body a byte every 200 ms, forever
};

/// A canned failure of an endpoint, for tests of how the client copes with broken servers.
struct Fault {
  int status = 500; ///< 0: after `delay`, answer normally (a slow server)
  std::string body = "<html><body>Internal Server Error</body></html>";
  std::string content_type = "text/html";
  std::string retry_after; ///< a Retry-After header, when not empty
  std::chrono::milliseconds delay{0};
  int count = -1; ///< how many requests it hits; -1 = every one
  Delivery delivery = Delivery::whole;
};

/// One named fault of `keap-auth emulator --fault NAME`. The fault is made on demand: one of them
/// carries a 6 MiB body, which every command line that merely lists the names must not pay for.
struct NamedFault {
  const char* name;
  const char* help;
  Fault (*make)();
};

/// Every named fault: the one list that --help, the error for an unknown name and README draw on.
const std::vector<NamedFault>& named_faults();

/// The fault called `name`; nothing for an unknown name.
std::optional<Fault> named_fault(std::string_view name);

/// "http-500, http-502, ...", for --help and error messages.
std::string fault_names();

/// The REST API's faults for `--api-fault NAME[:COUNT]` and its switches for `--api-switch NAME`
/// (where Keap's behaviour is unknown or observed only, which way the emulator plays it). The names
/// live here, beside the token endpoint's, so the light parser can list them without the emulator.
const std::vector<std::string>& api_fault_list();
const std::vector<std::string>& api_switch_list();

} // namespace keap::emulator
