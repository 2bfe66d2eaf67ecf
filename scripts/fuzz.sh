#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs each for SECONDS
# (default 30), two at a time. Prints executions per target; any crash fails the script, and its input
# is kept in build-fuzz/crashes/ (copy it to fuzz/regressions/TARGET/ to make it a unit test).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
scripts/setup.sh > /dev/null
missing=()
for package in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKEAP_AUTH_FUZZ=ON -DKEAP_AUTH_BUILD_TESTS=OFF -DKEAP_AUTH_WERROR=ON > /dev/null
cmake --build build-fuzz --target fuzz_all
mkdir -p build-fuzz/crashes build-fuzz/logs
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

run_one() {
  local name=$1 seconds=$2
  mkdir -p "build-fuzz/corpus/$name"
  if KEAP_FUZZ_TARGET=$name build-fuzz/fuzz/keap_fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/crashes/$name-" "build-fuzz/corpus/$name" "fuzz/corpus/$name" \
       > "build-fuzz/logs/$name.log" 2>&1; then
    echo "$name ok"
  else
    echo "$name CRASHED"
  fi
}
export -f run_one
# The targets are the folders of fuzz/corpus (fuzz/CMakeLists.txt builds one per folder).
ls fuzz/corpus |
  xargs -P 2 -I{} bash -c "run_one {} $seconds" > build-fuzz/logs/summary.txt

status=0
printf '| target | seconds | executions | result |\n| --- | --- | --- | --- |\n'
while read -r name result; do
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/logs/$name.log" | grep -o '[0-9]*$' || echo "?")
  printf '| %s | %s | %s | %s |\n' "$name" "$seconds" "$runs" "$result"
  if [ "$result" != ok ]; then
    status=1
    tail -30 "build-fuzz/logs/$name.log" >&2
  fi
done < <(sort build-fuzz/logs/summary.txt)
exit $status
