#!/usr/bin/env bash
# The sanitized build, build-sanitize/: everything (the programs, the three test programs and the fuzz
# program) compiled once with clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer's
# coverage, and assertions on (no NDEBUG). Any finding stops the process that made it.
#   scripts/sanitize.sh                 build it and run the whole test suite there
#   scripts/sanitize.sh --build TARGET  only build TARGET there (scripts/fuzz.sh builds keap_fuzz so)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests > /dev/null
missing=()
for package in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# -O1, as the sanitizers' authors advise: reports stay exact and it compiles much faster than -O2.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DKEAP_AUTH_SANITIZE=ON -DKEAP_AUTH_FUZZ=ON -DKEAP_AUTH_WERROR=ON \
  -DKEAP_AUTH_BUILD_TESTS=ON > /dev/null
if [ "${1:-}" = "--build" ]; then
  cmake --build build-sanitize --target "$2"
  exit 0
fi
cmake --build build-sanitize
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# Three at a time: most tests wait on sockets and child processes, not on the CPU.
ctest --test-dir build-sanitize --output-on-failure -j3
