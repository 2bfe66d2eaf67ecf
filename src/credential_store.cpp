#include "credential_store.hpp"

#include "atomic_file.hpp"

namespace keap {

std::optional<Credentials> load_credentials(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) {
    return std::nullopt;
  }
  return parse_credentials(*text, path);
}

void save_credentials(const std::string& path, const Credentials& credentials) {
  write_file_atomically(path, serialize_credentials(credentials));
}

} // namespace keap
