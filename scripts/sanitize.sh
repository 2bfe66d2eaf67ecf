#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer into build-sanitize/ and runs
# the whole test suite there. Any finding stops the process that made it, so its test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests > /dev/null
# -O1, as the sanitizers' authors advise: their reports stay exact, and it compiles much faster than -O2.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  -DKEAP_AUTH_SANITIZE=ON -DKEAP_AUTH_WERROR=ON -DKEAP_AUTH_BUILD_TESTS=ON > /dev/null
cmake --build build-sanitize
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ctest --test-dir build-sanitize --output-on-failure -j2
