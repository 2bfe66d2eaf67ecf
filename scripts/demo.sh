#!/usr/bin/env bash
# The main job without a Keap account or a desktop browser: starts the built-in Keap emulator,
# runs a full `keap-auth login` against it with curl standing in for the browser (scripts/curl-browser.sh
# follows keap-auth's start page and the redirects exactly as a browser would after a click on Allow),
# and shows what was saved. KEAP_AUTH_BUILD names another build folder and KEAP_AUTH_DEMO another work
# folder (the tests run it so).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(realpath "${KEAP_AUTH_BUILD:-build}")
[ -x "$build/keap-auth" ] || scripts/setup.sh

work=${KEAP_AUTH_DEMO:-.demo}
rm -rf "$work"
mkdir -m 700 "$work"
"$build/keap-auth" emulator --port 0 --auto-approve --write-config "$work/keap-auth.json" 2> "$work/emulator.log" &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/keap-auth.json" ] && break; sleep 0.1; done
[ -s "$work/keap-auth.json" ] || { cat "$work/emulator.log"; exit 1; }

echo "== keap-auth login (against the emulator; curl plays the browser)"
cd "$work"
BROWSER=$root/scripts/curl-browser.sh "$build/keap-auth" login --config keap-auth.json --timeout 60s --json > summary.json
echo
echo "== what a service now reads (summary without secrets)"
cat summary.json
echo
ls -l keap-credentials.json
echo
echo "== keap-auth status"
"$build/keap-auth" status --config keap-auth.json
echo
echo "== keap-auth refresh (rotates the pair; the emulator kills the old refresh token)"
"$build/keap-auth" refresh --config keap-auth.json
echo "demo: done; the credentials are in $work/keap-credentials.json"
