#!/bin/sh
# A shell service calling Keap with a token from keap-auth (POSIX sh and curl 7.55 or later).
#
# Run:  KEAP_AUTH_CONFIG=/etc/keap-auth/config.json sh contacts.sh
#       KEAP_AUTH: the keap-auth binary (default: keap-auth from PATH); KEAP_API_BASE_URL: the API
#       (default https://api.infusionsoft.com/crm/rest). keap-auth reads its own KEAP_AUTH_CONFIG,
#       KEAP_PROFILE, ... from the environment this script inherits.
#
# Why it is written this way:
# - It asks keap-auth for the header line instead of reading or caching the token: keap-auth refreshes
#   under a lock when the token nears its end, so any number of services share one grant without losing
#   it. The header is the one the credential needs (Authorization: Bearer for an OAuth token,
#   X-Keap-API-Key for a Personal Access Token or Service Account Key): never build it yourself.
# - A 401 means another process rotated the token or Keap dropped it early. `token --rejected -`
#   hands back the store's newer token, or refreshes exactly once however many services got the 401.
# - The token never goes in an argv, which every user can read with ps: keap-auth and curl get it on
#   stdin from printf, a builtin of dash and bash (so no printf process shows it either).
# - keap-auth's stderr goes straight to ours and its exit code is ours: exit 4 means a person must run
#   `keap-auth login`, which a supervisor should not retry in a loop.
set -u
keap_auth=${KEAP_AUTH:-keap-auth}
api_base=${KEAP_API_BASE_URL:-https://api.infusionsoft.com/crm/rest}
url="${api_base%/}/v1/contacts?limit=1"

fail() { code=$1; shift; printf 'contacts.sh: %s\n' "$*" >&2; exit "$code"; }

body=$(mktemp) || fail 1 "cannot make a temporary file"
trap 'rm -f "$body"' EXIT

# Prints the HTTP status; the body goes to $body. The header line reaches curl on stdin (-H @-), and
# curl follows no redirect, so the credential stays on this host.
get() {
  printf '%s\n' "$1" |
    curl -sS --max-time 60 -o "$body" -w '%{http_code}' -H @- -H 'Accept: application/json' "$url"
}

header=$("$keap_auth" token --header </dev/null) || fail $? "$keap_auth token failed"
status=$(get "$header") || fail 1 "GET $url failed"
if [ "$status" = 401 ]; then
  header=$(printf '%s\n' "$header" | "$keap_auth" token --header --rejected -) ||
    fail $? "$keap_auth token --rejected - failed"
  status=$(get "$header") || fail 1 "GET $url failed"
fi
case $status in
  2??) cat "$body" ;;
  *) fail 1 "GET $url: HTTP $status: $(head -c 500 "$body")" ;;
esac
