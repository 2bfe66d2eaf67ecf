#pragma once

#include <string_view>
#include <vector>

/// The bodies of the fuzz targets: one per parser of outside input. libFuzzer runs them from
/// fuzz_main.cpp; the unit tests replay the committed corpus and every past crash through them.
/// Each returns normally for any input: expected rejections are caught, anything else is a bug.
namespace keap::fuzz {

struct Target {
  const char* name;
  void (*run)(std::string_view input);
};

const std::vector<Target>& targets();

} // namespace keap::fuzz
