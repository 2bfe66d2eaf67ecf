#!/bin/sh
# A shell service calling Keap with a token from `keap-auth agent` (POSIX sh, sed, and curl 7.55 or
# later: --unix-socket for the agent, -H @- for Keap).
#
# Run:  sh contacts.sh [SECONDS]
#       Lists two contacts; with SECONDS, again every SECONDS until stopped, as a service would.
#       KEAP_AGENT_SOCKET: the agent's socket (default $XDG_RUNTIME_DIR/keap-auth/agent.sock, or
#       /run/keap-auth/agent.sock without XDG_RUNTIME_DIR: where the agent and its units put it);
#       KEAP_PROFILE: the profile to ask for (default: the agent's default profile); KEAP_API_BASE_URL:
#       the API (default https://api.infusionsoft.com/crm/rest).
#
# Why it is written this way:
# - It takes the header line the agent gives instead of building one: `Authorization: Bearer` for an
#   OAuth token, `X-Keap-API-Key` for a Personal Access Token or Service Account Key. Keap refuses a key
#   sent as Bearer.
# - It keeps the answer until its refresh_at (a key has none: until a 401). The agent refreshes ahead of
#   that time, so asking sooner would only hand back the same token.
# - A 401 means the agent rotated the token since it was kept, or Keap dropped it early. POST
#   /v1/token/rejected hands back the agent's newer token, or makes it refresh exactly once however many
#   services got the 401; the call is then tried once more. A second 401 is a failure, never a loop.
# - The token never goes in an argv, which every user can read with ps: curl gets it on stdin from
#   printf, a builtin of dash and bash (so no printf process shows it either).
# - When the agent says no, its exit_code is ours and its message and hint go to stderr: exit 4 means a
#   person must run `keap-auth login`, which a supervisor should not retry in a loop. Every other
#   failure is exit 1 (2 for a bad SECONDS). No token is ever printed or logged.
set -u
name=contacts.sh
api_base=${KEAP_API_BASE_URL:-https://api.infusionsoft.com/crm/rest}
url="${api_base%/}/v1/contacts?limit=2"
if [ -n "${KEAP_AGENT_SOCKET:-}" ]; then
  socket=$KEAP_AGENT_SOCKET
elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
  socket=$XDG_RUNTIME_DIR/keap-auth/agent.sock
else
  socket=/run/keap-auth/agent.sock
fi
profile=${KEAP_PROFILE:-}

# fail CODE LINE...: each line on stderr, then exit CODE.
fail() {
  code=$1
  shift
  for line in "$@"; do printf '%s: %s\n' "$name" "$line" >&2; done
  exit "$code"
}

every=
if [ $# -gt 0 ]; then
  every=$1
  case $every in
    '' | . | *[!0-9.]* | *.*.*) fail 2 "SECONDS must be a number above 0, not \"$every\"" ;;
  esac
  case $every in
    *[1-9]*) ;;
    *) fail 2 "SECONDS must be a number above 0, not \"$every\"" ;;
  esac
fi

work=$(mktemp -d) || fail 1 "cannot make a temporary folder"
trap 'rm -rf "$work"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# The JSON string member $1 of the one-line object in file $2, its escapes as they are; nothing for a
# null or a missing member.
member() {
  sed -n 's/.*"'"$1"'" *: *"\([^"\\]*\(\\.[^"\\]*\)*\)".*/\1/p' "$2"
}

# Asks the agent: GET $1, or with "post" as $2 a POST of stdin as JSON. The answer goes to
# $work/answer; its status is printed.
ask() {
  if [ "${2:-}" = post ]; then
    curl -sS --unix-socket "$socket" --max-time 60 -o "$work/answer" -w '%{http_code}' \
      -H 'Accept: application/json' -H 'Content-Type: application/json' --data-binary @- "http://localhost$1"
  else
    curl -sS --unix-socket "$socket" --max-time 60 -o "$work/answer" -w '%{http_code}' \
      -H 'Accept: application/json' "http://localhost$1" </dev/null
  fi
}

# Keeps the agent's answer (its status is $1), or ends the script with the agent's exit_code, message
# and hint.
take() {
  header=$(member header "$work/answer")
  token=$(member token "$work/answer")
  refresh_at=$(member refresh_at "$work/answer")
  if [ "$1" = 200 ] && [ -n "$token" ]; then
    case $header in
      *\\*) fail 1 "keap-auth agent's header line holds a JSON escape this script does not decode" ;;
      *': '*) return 0 ;;
    esac
  fi
  header=
  message=$(member message "$work/answer" | sed 's/\\\(.\)/\1/g')
  hint=$(member hint "$work/answer" | sed 's/\\\(.\)/\1/g')
  code=$(sed -n 's/.*"exit_code" *: *\([0-9]*\).*/\1/p' "$work/answer")
  case $code in
    [1-9] | [1-9][0-9] | 1[0-9][0-9] | 2[0-4][0-9] | 25[0-5]) ;;
    *) code=1 ;;
  esac
  if [ -n "$hint" ]; then
    fail "$code" "keap-auth agent: ${message:-HTTP $1}" "hint: $hint"
  fi
  fail "$code" "keap-auth agent: ${message:-HTTP $1}"
}

# True while the kept answer may be used: until its refresh_at (RFC 3339 in UTC, which sorts as text),
# or, for a key, which has none, until a 401.
kept() {
  [ -n "$header" ] || return 1
  [ -n "$refresh_at" ] || return 0
  LC_ALL=C expr "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \< "$refresh_at" >/dev/null
}

query=
[ -z "$profile" ] || query="?profile=$profile"
header= token= refresh_at=

# Sets $header (and $token) for the next call.
credential() {
  kept && return 0
  status=$(ask "/v1/token$query") || fail 1 "cannot reach keap-auth agent at $socket"
  take "$status"
}

# Sets $header to that of a token other than the one that just got a 401.
rejected() {
  if [ -n "$profile" ]; then
    status=$(printf '{"profile":"%s","token":"%s"}' "$profile" "$token" | ask /v1/token/rejected post)
  else
    status=$(printf '{"token":"%s"}' "$token" | ask /v1/token/rejected post)
  fi || fail 1 "cannot reach keap-auth agent at $socket"
  take "$status"
}

# Prints the HTTP status; the body goes to $work/body. The header line reaches curl on stdin (-H @-), and
# curl follows no redirect, so the credential stays on this host.
get() {
  printf '%s\n' "$header" |
    curl -sS --max-time 60 -o "$work/body" -w '%{http_code}' -H @- -H 'Accept: application/json' "$url"
}

while :; do
  credential
  status=$(get) || fail 1 "GET $url failed"
  if [ "$status" = 401 ]; then
    rejected
    status=$(get) || fail 1 "GET $url failed"
  fi
  case $status in
    2??) cat "$work/body" ;;
    *) fail 1 "GET $url: HTTP $status: $(head -c 500 "$work/body")" ;;
  esac
  [ -n "$every" ] || break
  echo
  sleep "$every"
done
