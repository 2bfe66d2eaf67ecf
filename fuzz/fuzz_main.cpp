// The libFuzzer entry point of every target: KEAP_FUZZ_TARGET (an environment variable) names the one
// this run fuzzes, as fuzz/corpus/ names them.
#include "targets.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

void (*g_run)(std::string_view) = nullptr;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* name = std::getenv("KEAP_FUZZ_TARGET");
  for (const auto& candidate : keap::fuzz::targets()) {
    if (name != nullptr && std::strcmp(candidate.name, name) == 0) {
      g_run = candidate.run;
      return 0;
    }
  }
  std::fprintf(stderr, "keap_fuzz: set KEAP_FUZZ_TARGET to one of the folders of fuzz/corpus/\n");
  std::exit(2);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
