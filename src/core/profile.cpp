#include "core/profile.hpp"

#include "core/error.hpp"
#include "util/text.hpp"

namespace keap {

bool is_profile_name(std::string_view name) {
  return !name.empty() && name.size() <= 63 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string_view::npos;
}

void check_profile_name(const std::string& name, const std::string& origin) {
  if (!is_profile_name(name)) {
    throw Error(ExitCode::usage, origin + ": \"" + util::printable_excerpt(name, 80) + "\" is not a profile name",
                "a profile name is 1 to 63 lowercase letters, digits, '.', '_' or '-', such as acme or ab123");
  }
}

} // namespace keap
