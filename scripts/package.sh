#!/usr/bin/env bash
# Builds the Debian package from the tree and checks it:
#   scripts/package.sh            build build-matrix/dpkg-buildflags (Debian's flags, prefix /usr),
#                                 make keap-auth_*.deb there with CPack and run lintian on it
#   scripts/package.sh --install  also install it with apt-get (root or sudo), run the installed
#                                 keap-auth through a whole emulator login, status, refresh and token,
#                                 check that `man keap-auth` renders, purge it, and check that no file
#                                 it installed is left
# CI runs the second; it changes the machine's /usr only between install and purge.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
folder=build-matrix/dpkg-buildflags
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

scripts/setup.sh > /dev/null
missing=()
for package in lintian man-db dpkg-dev file; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# The same configuration as the build matrix's packager build, so CI compiles it once.
cmake -S . -B "$folder" -G Ninja -DKEAP_AUTH_WERROR=ON -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
  "-DCMAKE_CXX_FLAGS=$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  "-DCMAKE_EXE_LINKER_FLAGS=$(dpkg-buildflags --get LDFLAGS)" > /dev/null
cmake --build "$folder"
rm -f "$folder"/keap-auth_*.deb
(cd "$folder" && cpack -G DEB > cpack.log) || { cat "$folder/cpack.log"; exit 1; }
deb=$(ls "$folder"/keap-auth_*.deb)
echo "package: built $deb"
dpkg-deb --field "$deb" Version Depends Recommends
lintian --fail-on error --info "$deb" 2>&1 | grep -v "running with root privileges" | tee "$folder/lintian.log" || true
lintian --fail-on error "$deb" > /dev/null 2>&1 || { echo "package: lintian reports errors (above)"; exit 1; }
echo "package: lintian found no error"

[ "${1:-}" = "--install" ] || exit 0

files=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' | grep -v '^/$')
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$root/$deb" > /dev/null
trap 'DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq keap-auth > /dev/null 2>&1 || true' EXIT
[ "$(command -v keap-auth)" = /usr/bin/keap-auth ] || { echo "package: keap-auth is not /usr/bin/keap-auth"; exit 1; }
echo "package: installed $(keap-auth --version)"

# The installed program, through a whole login against its own emulator (curl plays the browser), in a
# home of its own so nothing of this machine's user is read or written.
work=$(mktemp -d)
export HOME=$work XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state
/usr/bin/keap-auth emulator --port 0 --auto-approve --write-config "$work/keap-auth.json" 2> "$work/emulator.log" &
emulator=$!
trap 'kill $emulator 2>/dev/null || true; rm -rf "$work"
      DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq keap-auth > /dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do [ -s "$work/keap-auth.json" ] && break; sleep 0.1; done
[ -s "$work/keap-auth.json" ] || { cat "$work/emulator.log"; exit 1; }
cd "$work"
BROWSER=$root/scripts/curl-browser.sh /usr/bin/keap-auth login --config keap-auth.json --timeout 60s --json \
  > login.json 2> login.log || { cat login.log; exit 1; }
grep -q '"changed": true' login.json
[ "$(stat -c %a keap-credentials.json)" = 600 ]
/usr/bin/keap-auth status --config keap-auth.json > /dev/null
/usr/bin/keap-auth refresh --config keap-auth.json > /dev/null
token=$(/usr/bin/keap-auth token --config keap-auth.json)
[ -n "$token" ]
echo "package: the installed keap-auth logged in, refreshed and printed a token"
cd "$root"

# The man page and the completions where man and the shells look for them.
[ "$(man -w keap-auth)" = /usr/share/man/man1/keap-auth.1.gz ]
MANWIDTH=80 man -P cat keap-auth 2> "$work/man.err" | grep -q "keap-auth login"
[ ! -s "$work/man.err" ] || { cat "$work/man.err"; exit 1; }
bash -c 'source /usr/share/bash-completion/completions/keap-auth && complete -p keap-auth' > /dev/null
echo "package: man keap-auth renders and the bash completion loads"

kill $emulator 2>/dev/null || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq keap-auth > /dev/null
left=""
while read -r path; do
  # Folders such as /usr/share/doc exist without us; a file, or a folder that is ours alone, must not.
  if [ -e "$path" ] && { [ ! -d "$path" ] || [[ $path == */keap-auth || $path == */keap-auth/* ]]; }; then
    left+=" $path"
  fi
done <<< "$files"
[ -z "$left" ] || { echo "package: purge left$left"; exit 1; }
echo "package: purge left no file behind"
