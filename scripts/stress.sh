#!/usr/bin/env bash
# The whole test suite under load: `stress --cpu 2` (two CPU hogs) beside `ctest -j2`, ROUNDS times in a
# row (default 3); any failure stops it. With --sanitize, the ASan + UBSan build (scripts/sanitize.sh
# makes it). Prints each round's result; the ctest logs are kept in build*/Testing/Temporary/.
#   scripts/stress.sh [--sanitize] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
folder=build
if [ "${1:-}" = "--sanitize" ]; then
  folder=build-sanitize
  shift
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
fi
rounds=${1:-3}
if ! command -v stress > /dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends stress > /dev/null
fi
[ -d "$folder" ] || { echo "stress: $folder does not exist (run scripts/setup.sh --tests or scripts/sanitize.sh)" >&2; exit 2; }
stress --cpu 2 --quiet &
hogs=$!
trap 'kill $hogs 2> /dev/null || true' EXIT
for round in $(seq 1 "$rounds"); do
  start=$SECONDS
  if ctest --test-dir "$folder" --output-on-failure -j2 > "$folder/stress-round-$round.log" 2>&1; then
    echo "stress: round $round of $rounds passed ($(grep -o '[0-9]* tests failed out of [0-9]*' "$folder/stress-round-$round.log" || tail -1 "$folder/stress-round-$round.log"), $((SECONDS - start))s)"
  else
    echo "stress: round $round of $rounds FAILED ($((SECONDS - start))s):" >&2
    grep -A30 "The following tests FAILED" "$folder/stress-round-$round.log" >&2 || tail -50 "$folder/stress-round-$round.log" >&2
    exit 1
  fi
done
