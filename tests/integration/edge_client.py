"""Send a corpus of raw requests and write what came back (used by test_edge.py).

Run as a script, so the very same client asks the Firebase emulator (inside a
network namespace with no network, under `firebase emulators:exec`) and the
local edge. Paths go on the wire byte for byte (http.client, no normalising,
no redirects followed), with `Accept-Encoding: identity` so neither side
compresses.

    python3 edge_client.py REQUESTS.json OUT.json
REQUESTS.json: [[base_url, method, path], ...]; OUT.json: one entry each.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import sys
import time
from urllib.parse import urlsplit


def ask(base: str, method: str, path: str) -> dict[str, object]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.putheader("Accept-Encoding", "identity")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        return {"status": response.status, "headers": {k.lower(): v for k, v in response.getheaders()},
                "sha256": hashlib.sha256(body).hexdigest(), "body": body[:200].decode("utf-8", "replace")}
    finally:
        connection.close()


def main(requests_file: str, out_file: str) -> None:
    started = time.time()
    with open(requests_file, encoding="utf-8") as fh:
        wanted = json.load(fh)
    answers = [ask(base, method, path) for base, method, path in wanted]
    with open(out_file, "w", encoding="utf-8") as fh:
        json.dump({"started": started, "answers": answers}, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
