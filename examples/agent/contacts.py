#!/usr/bin/env python3
"""A Python service calling Keap with a token from `keap-auth agent` (Python 3.8+, standard library only).

Run:  python3 contacts.py [SECONDS]
      Lists two contacts; with SECONDS, again every SECONDS until stopped, as a service would.
      KEAP_AGENT_SOCKET: the agent's socket (default $XDG_RUNTIME_DIR/keap-auth/agent.sock, or
      /run/keap-auth/agent.sock without XDG_RUNTIME_DIR: where the agent and its units put it);
      KEAP_PROFILE: the profile to ask for (default: the agent's default profile); KEAP_API_BASE_URL:
      the API (default https://api.infusionsoft.com/crm/rest).

Why it is written this way:
- It takes the header line the agent gives instead of building one: `Authorization: Bearer` for an
  OAuth token, `X-Keap-API-Key` for a Personal Access Token or Service Account Key. Keap refuses a key
  sent as Bearer.
- It keeps the answer until its refresh_at (a key has none: until a 401). The agent refreshes ahead of
  that time, so asking sooner would only hand back the same token.
- A 401 means the agent rotated the token since it was kept, or Keap dropped it early. POST
  /v1/token/rejected hands back the agent's newer token, or makes it refresh exactly once however many
  services got the 401; the call is then tried once more. A second 401 is a failure, never a loop.
- When the agent says no, its exit_code is ours and its message and hint go to stderr: exit 4 means a
  person must run `keap-auth login`, which a supervisor should not retry in a loop. Every other
  failure is exit 1 (2 for a bad SECONDS). No token is ever printed or logged.
"""
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse
from datetime import datetime

NAME = "contacts.py"
API_BASE = os.environ.get("KEAP_API_BASE_URL", "https://api.infusionsoft.com/crm/rest").rstrip("/")
URL = API_BASE + "/v1/contacts?limit=2"
PROFILE = os.environ.get("KEAP_PROFILE") or None


def default_socket():
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(runtime, "keap-auth", "agent.sock") if runtime else "/run/keap-auth/agent.sock"


SOCKET = os.environ.get("KEAP_AGENT_SOCKET") or default_socket()


class Failure(Exception):
    """Ends the program: `message` on stderr (each line prefixed), `code` as the exit code."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket: http.client speaks the protocol, this only connects."""

    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)  # the Host header; no name is looked up
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


class AgentToken:
    """The agent's answer for one profile, kept until its refresh_at."""

    def __init__(self, path, profile=None):
        self.path = path
        self.profile = profile
        self.answer = None

    def header(self):
        """The header line to send ("Name: value")."""
        if self.answer is None or self._due():
            target = "/v1/token" + ("?" + urllib.parse.urlencode({"profile": self.profile}) if self.profile else "")
            self.answer = self._ask("GET", target)
        return self.answer["header"]

    def rejected(self):
        """The header line of a token other than the one that just got a 401."""
        body = {"token": self.answer["token"]}
        if self.profile:
            body["profile"] = self.profile
        self.answer = self._ask("POST", "/v1/token/rejected", json.dumps(body))
        return self.answer["header"]

    def _due(self):
        refresh_at = self.answer.get("refresh_at")
        if refresh_at is None:
            return False  # a key: kept until Keap refuses it
        try:
            return time.time() >= datetime.fromisoformat(refresh_at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return True

    def _ask(self, method, target, body=None):
        connection = UnixHTTPConnection(self.path)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, target, body=body, headers=headers)
            reply = connection.getresponse()
            status, text = reply.status, reply.read()
        except OSError as error:  # no agent, a refused connection, a timeout
            raise Failure(f"cannot reach keap-auth agent at {self.path}: {error}") from None
        except http.client.HTTPException as error:
            raise Failure(f"keap-auth agent at {self.path} answered in a way this cannot read: {error!r}") from None
        finally:
            connection.close()
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise Failure(f"keap-auth agent at {self.path} answered HTTP {status} without JSON")
        if status == 200 and ": " in str(answer.get("header", "")) and isinstance(answer.get("token"), str):
            return answer
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        message = f"keap-auth agent: {error.get('message') or f'HTTP {status}'}"
        if error.get("hint"):
            message += f"\nhint: {error['hint']}"
        code = error.get("exit_code")
        raise Failure(message, code if isinstance(code, int) and 0 < code < 256 else 1)


def get(header):
    """GET URL with `header`: (status, body). http.client follows no redirect, so the credential never
    goes to another host, and HTTPSConnection verifies the certificate."""
    name, value = header.split(": ", 1)
    parts = urllib.parse.urlsplit(URL)
    if parts.scheme not in ("https", "http"):
        raise Failure(f"KEAP_API_BASE_URL is not an http(s) URL: {API_BASE}")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.netloc, timeout=60)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}", headers={name: value, "Accept": "application/json"})
        reply = connection.getresponse()
        return reply.status, reply.read()
    except (OSError, http.client.HTTPException) as error:
        raise Failure(f"GET {URL}: {error}") from None
    finally:
        connection.close()


def contacts(token):
    """One call to Keap, retried once after a 401 with the token the agent gives in its place."""
    status, body = get(token.header())
    if status == 401:
        status, body = get(token.rejected())
    if not 200 <= status <= 299:
        raise Failure(f"GET {URL}: HTTP {status}: {body[:500].decode('utf-8', 'replace')}")
    return body


def main():
    every = None
    if len(sys.argv) > 1:
        try:
            every = float(sys.argv[1])
        except ValueError:
            every = -1.0
        if not every > 0:
            raise Failure(f"SECONDS must be a number above 0, not {sys.argv[1]!r}", 2)
    token = AgentToken(SOCKET, PROFILE)
    while True:
        body = contacts(token)
        sys.stdout.buffer.write(body + (b"\n" if every else b""))
        sys.stdout.flush()
        if every is None:
            return
        time.sleep(every)


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        for line in str(failure).splitlines():
            print(f"{NAME}: {line}", file=sys.stderr)
        sys.exit(failure.code)
    except KeyboardInterrupt:
        sys.exit(130)
