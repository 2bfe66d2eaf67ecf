#!/usr/bin/env bash
# Builds the programs in every configuration a user or packager builds them in, with warnings as
# errors: Debug, Release, and Debian's dpkg-buildflags (CMAKE_BUILD_TYPE=None, as debhelper configures,
# and what scripts/package.sh packages). RelWithDebInfo is build/, which scripts/setup.sh builds (with
# warnings as errors too) and the tests use. Any warning fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests > /dev/null
build() {
  local folder=$1
  shift
  cmake -S . -B "$folder" -G Ninja -DKEAP_AUTH_WERROR=ON "$@" > /dev/null
  cmake --build "$folder" --target keap-auth keap-auth-full
  echo "build-matrix: $folder built without a warning"
}
for type in Debug Release; do
  build "build-matrix/$type" "-DCMAKE_BUILD_TYPE=$type"
done
build build-matrix/dpkg-buildflags -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
  "-DCMAKE_CXX_FLAGS=$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  "-DCMAKE_EXE_LINKER_FLAGS=$(dpkg-buildflags --get LDFLAGS)"
