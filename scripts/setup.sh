#!/usr/bin/env bash
# Installs the Debian packages keap-auth needs (only those missing; apt-get update first) and builds
# it into build/. Idempotent: a second run installs nothing and rebuilds only what changed.
#   scripts/setup.sh           build the tool
#   scripts/setup.sh --tests   also install what the tests need (Chromium) and build the tests
set -euo pipefail
cd "$(dirname "$0")/.."

tests_option=() # without --tests, an existing build keeps its setting
packages=(g++ cmake ninja-build pkg-config libboost-dev libssl-dev nlohmann-json3-dev libcli11-dev libpq-dev libsystemd-dev curl)
# --tests also needs: catch2, cpp-httplib (a client that is not ours, for talking to our servers), chromium (the browser tests), util-linux's script and prlimit (present on
# every Debian), dpkg-dev (the build matrix reads dpkg-buildflags), postgresql-15 (the PostgreSQL
# store's tests start throwaway clusters of their own; Debian's 15/main is never used),
# python3-requests, nodejs, php-cli and php-curl (the example services run against the emulator),
# zsh, fish and groff-base (the generated completions and man page are checked by their own programs),
# systemd (systemd-analyze verify checks the units; nothing is started).
if [ "${1:-}" = "--tests" ]; then
  tests_option=(-DKEAP_AUTH_BUILD_TESTS=ON)
  packages+=(catch2 libcpp-httplib-dev chromium dpkg-dev postgresql-15 python3-requests nodejs php-cli php-curl zsh fish groff-base systemd procps)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Warnings are errors in our own builds (never by default: a packager's newer compiler may warn anew).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEAP_AUTH_WERROR=ON "${tests_option[@]}" > /dev/null
cmake --build build
echo "setup: built build/keap-auth"
