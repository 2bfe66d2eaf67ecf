#!/usr/bin/env bash
# Runs every libFuzzer target of the sanitized build (clang, ASan + UBSan; scripts/sanitize.sh) for
# SECONDS (default 15), two at a time; the corpus and every past crash are replayed by the unit tests
# of every build too. Prints executions per target; any crash fails the script, and its input
# is kept in build-sanitize/fuzzing/crashes/ (copy it to fuzz/regressions/TARGET/ to make it a unit test).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
# The fuzz program lives in the sanitized build (scripts/sanitize.sh): compiled once for both.
scripts/sanitize.sh --build keap_fuzz
mkdir -p build-sanitize/fuzzing/crashes build-sanitize/fuzzing/logs
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

run_one() {
  local name=$1 seconds=$2
  mkdir -p "build-sanitize/fuzzing/corpus/$name"
  if KEAP_FUZZ_TARGET=$name build-sanitize/fuzz/keap_fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build-sanitize/fuzzing/crashes/$name-" "build-sanitize/fuzzing/corpus/$name" "fuzz/corpus/$name" \
       > "build-sanitize/fuzzing/logs/$name.log" 2>&1; then
    echo "$name ok"
  else
    echo "$name CRASHED"
  fi
}
export -f run_one
# The targets are the folders of fuzz/corpus (fuzz/CMakeLists.txt builds one per folder).
ls fuzz/corpus |
  xargs -P 2 -I{} bash -c "run_one {} $seconds" > build-sanitize/fuzzing/logs/summary.txt

status=0
printf '| target | seconds | executions | result |\n| --- | --- | --- | --- |\n'
while read -r name result; do
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-sanitize/fuzzing/logs/$name.log" | grep -o '[0-9]*$' || echo "?")
  printf '| %s | %s | %s | %s |\n' "$name" "$seconds" "$runs" "$result"
  if [ "$result" != ok ]; then
    status=1
    tail -30 "build-sanitize/fuzzing/logs/$name.log" >&2
  fi
done < <(sort build-sanitize/fuzzing/logs/summary.txt)
exit $status
