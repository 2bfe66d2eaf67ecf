#!/usr/bin/env bash
# Builds keap-auth and the benchmark, then prints the table that README.md's "Speed" section shows.
#   bench/run.sh [RUNS] [PROFILES] [STORE_RUNS] [AGENT_REQUESTS] [PROXY_REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
# GNU time measures peak memory; curl is the floor of the refresh path; nginx is the proxy's peer.
for package in time curl nginx; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    { [ "$(id -u)" -eq 0 ] || sudo=sudo; ${sudo:-} apt-get update -qq; ${sudo:-} apt-get install -y -qq "$package"; }
done
cmake -S . -B build -DKEAP_AUTH_BUILD_BENCH=ON > /dev/null
cmake --build build --target bench_token bench_profiles bench_pgstore bench_agent bench_proxy > /dev/null
build/bench/bench_token "$PWD/build/keap-auth" "${1:-300}"
echo
build/bench/bench_profiles "$PWD/build/keap-auth" "${2:-1000}"
echo
build/bench/bench_pgstore "$PWD/build/keap-auth" "${3:-100}"
echo
build/bench/bench_agent "$PWD/build/keap-auth" "${4:-20000}"
echo
build/bench/bench_proxy "$PWD/build/keap-auth" "${5:-5000}"
