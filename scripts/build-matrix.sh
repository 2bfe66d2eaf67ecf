#!/usr/bin/env bash
# Builds the programs in the configurations a user or packager builds them in that no other script
# builds, with warnings as errors: Release (-O3) and Debian's dpkg-buildflags (CMAKE_BUILD_TYPE=None, as
# debhelper configures, and what scripts/package.sh packages). RelWithDebInfo is build/ (scripts/setup.sh,
# the tests); assertions on, as in Debug, is build-sanitize/ (scripts/sanitize.sh, -O1, clang). Debug's
# -O0 is not built: it finds no warning that -O1 and -O2 do not. Any warning fails the script.
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
for type in Release; do
  build "build-matrix/$type" "-DCMAKE_BUILD_TYPE=$type"
done
build build-matrix/dpkg-buildflags -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
  "-DCMAKE_CXX_FLAGS=$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  "-DCMAKE_EXE_LINKER_FLAGS=$(dpkg-buildflags --get LDFLAGS)"
