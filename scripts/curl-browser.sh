#!/usr/bin/env bash
# A stand-in for a browser whose user has already clicked Allow, for the demo and the examples: it
# opens what keap-auth gives a browser (a one-time start address on its receiver, which forwards to the
# authorize URL) and follows every redirect, as a browser would. The address goes to curl on stdin,
# never on its command line.
#   BROWSER=scripts/curl-browser.sh keap-auth login
set -euo pipefail
printf 'url = "%s"\n' "$1" | exec curl -fsSL -o /dev/null -K -
