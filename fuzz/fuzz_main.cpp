// One libFuzzer entry point, compiled once per target with KEAP_FUZZ_TARGET set to its name.
#include "targets.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

void (*target())(std::string_view) {
  for (const auto& candidate : keap::fuzz::targets()) {
    if (std::strcmp(candidate.name, KEAP_FUZZ_TARGET) == 0) {
      return candidate.run;
    }
  }
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto run = target();
  run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
