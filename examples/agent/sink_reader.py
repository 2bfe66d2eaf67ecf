#!/usr/bin/env python3
"""A Python service calling Keap with the token `keap-auth agent` keeps in a file (a sink), for a
service that cannot reach the agent's socket (Python 3.8+, standard library only).

Run:  KEAP_SINK=/run/keap-auth/acme.header python3 sink_reader.py [SECONDS]
      Lists two contacts; with SECONDS, again every SECONDS until stopped, as a service would.
      KEAP_SINK: a sink the agent keeps in format header or json, which carry the header line (a
      token-format sink does not say whether its token is a key); KEAP_API_BASE_URL: the API (default
      https://api.infusionsoft.com/crm/rest). The agent's side, for example:
        keap-auth agent --sink acme:/run/keap-auth/acme.header:header

Why it is written this way: the agent replaces the file whenever the token changes, and the reader
that goes wrong is the one that reads it once and goes stale after the first rotation. The rule that
works, and all this file does besides calling Keap:
- Re-read the file at least once a minute. The agent refreshes long before a token runs out, so a
  minute-old copy is still good.
- Re-read it after a 401, then try the call once more. A second 401 is a failure, never a loop.
- Keep the last good token when a read fails, and say so: the agent renames a whole new file into place,
  so a reader never sees a torn one, but a file can be missing for a moment (a restore, another
  writer, a permission changed), and the token held a moment ago is still the best there is.
It never builds a header: `X-Keap-API-Key` for a key, `Authorization: Bearer` for an OAuth token, as the
file says. Exit 1 on a failure (2 without KEAP_SINK or with a bad SECONDS); no token is ever printed.
"""
import http.client
import json
import os
import sys
import time
import urllib.parse

NAME = "sink_reader.py"
API_BASE = os.environ.get("KEAP_API_BASE_URL", "https://api.infusionsoft.com/crm/rest").rstrip("/")
URL = API_BASE + "/v1/contacts?limit=2"
MAX_AGE = 60  # seconds a read is used before the file is read again


class Failure(Exception):
    """Ends the program: `message` on stderr, `code` as the exit code."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def header_in(text):
    """The header line a sink holds: a header-format file's one line, or a json-format file's "header"."""
    if text.lstrip().startswith("{"):
        line = json.loads(text).get("header")  # a ValueError for a file caught half-written
        if not isinstance(line, str):
            raise ValueError("its JSON has no header")
    else:
        # The agent writes the line and a newline: a line without one is a file caught mid-write.
        if not text.endswith("\n") or text.count("\n") != 1:
            raise ValueError("it is not one whole line")
        line = text[:-1]
    if ": " not in line:
        raise ValueError("it holds no header line (the sink's format must be header or json)")
    return line


class SinkToken:
    """The header line in a sink, read again once a minute and on demand."""

    def __init__(self, path):
        self.path = path
        self.line = None
        self.read_at = None

    def header(self):
        if self.line is None or time.monotonic() - self.read_at >= MAX_AGE:
            self.reread()
        return self.line

    def reread(self):
        """Reads the file again. When that fails it keeps the last good line, and the file is tried again
        at the next 401 or once the minute is up."""
        try:
            with open(self.path, encoding="utf-8") as sink:
                line = header_in(sink.read(65536))
        except (OSError, ValueError) as error:
            why = error.strerror if isinstance(error, OSError) else str(error)
            if self.line is None:
                raise Failure(f"cannot read a token from {self.path}: {why}") from None
            print(f"{NAME}: cannot read {self.path} ({why}): keeping the last good token", file=sys.stderr)
            return self.line
        self.line = line
        self.read_at = time.monotonic()
        return self.line


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
    """One call to Keap, tried once more after a 401 with what the file holds then (the same token
    too: a 401 can be Keap's passing mistake)."""
    status, body = get(token.header())
    if status == 401:
        status, body = get(token.reread())
    if not 200 <= status <= 299:
        raise Failure(f"GET {URL}: HTTP {status}: {body[:500].decode('utf-8', 'replace')}")
    return body


def main():
    path = os.environ.get("KEAP_SINK")
    if not path:
        raise Failure("set KEAP_SINK to the sink file the agent keeps (format header or json)", 2)
    every = None
    if len(sys.argv) > 1:
        try:
            every = float(sys.argv[1])
        except ValueError:
            every = -1.0
        if not every > 0:
            raise Failure(f"SECONDS must be a number above 0, not {sys.argv[1]!r}", 2)
    token = SinkToken(path)
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
        print(f"{NAME}: {failure}", file=sys.stderr)
        sys.exit(failure.code)
    except KeyboardInterrupt:
        sys.exit(130)
