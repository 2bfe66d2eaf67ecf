#!/usr/bin/env python3
"""Upload a file to Keap through keap-auth agent's proxy, with nothing but Python's standard library.

The service sends plain HTTP to the agent's socket with no credential at all; the agent adds the
profile's (a grant's Bearer token or a key's X-Keap-API-Key), sends the body with a Content-Length
(this script sends it chunked, as `requests` does for a generator), refreshes and replays on a 401,
and paces the call to Keap's limits. The same body encoded as Latin-1 is refused by the agent (400,
naming the byte) before it reaches Keap.

    python3 proxy_upload.py CONTACT_ID FILE [latin-1]

The socket is $KEAP_AGENT_SOCKET, else $XDG_RUNTIME_DIR/keap-auth/agent.sock. Prints Keap's status and
answer; exits 0 on a 2xx, 1 otherwise.
"""
import base64
import http.client
import json
import os
import socket
import sys


class AgentConnection(http.client.HTTPConnection):
    """HTTP over the agent's Unix socket."""

    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def agent_socket():
    if os.environ.get("KEAP_AGENT_SOCKET"):
        return os.environ["KEAP_AGENT_SOCKET"]
    return os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/run"), "keap-auth", "agent.sock")


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-4], file=sys.stderr)
        return 2
    contact_id, path = int(sys.argv[1]), sys.argv[2]
    encoding = sys.argv[3] if len(sys.argv) > 3 else "utf-8"
    with open(path, "rb") as file:
        data = base64.b64encode(file.read()).decode("ascii")
    document = {
        "file_name": os.path.basename(path),
        "file_data": data,
        "is_public": False,
        "file_association": "CONTACT",
        "contact_id": contact_id,
    }
    body = json.dumps(document, ensure_ascii=False).encode(encoding)
    connection = AgentConnection(agent_socket())
    # A generator body: http.client sends it chunked, with no Content-Length (the agent adds one).
    connection.request("POST", "/crm/rest/v1/files", body=(piece for piece in [body]),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    print(response.status)
    print(text)
    return 0 if 200 <= response.status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
