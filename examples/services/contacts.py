#!/usr/bin/env python3
"""A Python service calling Keap with a token from keap-auth (Debian: python3-requests).

Run:  KEAP_AUTH_CONFIG=/etc/keap-auth/config.json python3 contacts.py
      KEAP_AUTH: the keap-auth binary (default: keap-auth from PATH); KEAP_API_BASE_URL: the API
      (default https://api.infusionsoft.com/crm/rest). keap-auth reads its own KEAP_AUTH_CONFIG,
      KEAP_PROFILE, ... from the environment this script inherits.

Why it is written this way:
- It asks keap-auth for the header line instead of reading or caching the token: keap-auth refreshes
  under a lock when the token nears its end, so any number of services share one grant without losing
  it. The header is the one the credential needs (`Authorization: Bearer` for an OAuth token,
  `X-Keap-API-Key` for a Personal Access Token or Service Account Key): never build it yourself.
- A 401 means another process rotated the token or Keap dropped it early. `token --rejected -`
  hands back the store's newer token, or refreshes exactly once however many services got the 401.
- The token reaches keap-auth on stdin, never in argv, which every user can read with ps.
- keap-auth's stderr goes straight to ours and its exit code is ours: exit 4 means a person must run
  `keap-auth login`, which a supervisor should not retry in a loop.
"""
import os
import subprocess
import sys

import requests

KEAP_AUTH = os.environ.get("KEAP_AUTH", "keap-auth")
API_BASE = os.environ.get("KEAP_API_BASE_URL", "https://api.infusionsoft.com/crm/rest").rstrip("/")
URL = API_BASE + "/v1/contacts?limit=1"


def header(rejected=None):
    """The header line keap-auth gives ("Name: value"); `rejected`: the line that just got a 401."""
    args = [KEAP_AUTH, "token", "--header"] + (["--rejected", "-"] if rejected else [])
    try:
        done = subprocess.run(args, input=rejected + "\n" if rejected else "", stdout=subprocess.PIPE, text=True)
    except OSError as error:
        sys.exit(f"contacts.py: cannot run {KEAP_AUTH}: {error.strerror}")
    if done.returncode != 0 or ": " not in done.stdout:
        print(f"contacts.py: {KEAP_AUTH} token failed (exit {done.returncode})", file=sys.stderr)
        sys.exit(done.returncode or 1)
    return done.stdout.strip()


def get(line):
    name, value = line.split(": ", 1)
    # headers= by name (requests.get(url, params, **kwargs): a dict passed second would be the query).
    # No redirects: a credential must never follow a Location to another host.
    return requests.get(URL, headers={name: value, "Accept": "application/json"}, timeout=60, allow_redirects=False)


credential = header()
try:
    answer = get(credential)
    if answer.status_code == 401:
        answer = get(header(rejected=credential))
except requests.RequestException as error:
    sys.exit(f"contacts.py: GET {URL}: {error}")
if not answer.ok:
    sys.exit(f"contacts.py: GET {URL}: HTTP {answer.status_code}: {answer.text[:500]}")
sys.stdout.buffer.write(answer.content)
