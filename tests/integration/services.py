"""Real services for the publish tests, each on a free loopback port.

- a Docker registry (Debian's docker-registry, distribution 2.8) with htpasswd auth;
- the GCS JSON API (gcp-storage-emulator);
- a proxy that makes a real registry fail once.

The Heroku Platform API stand-in is in heroku_standin.py, the token-auth
registry in token_auth.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from tests.helpers import free_port

USER, PASSWORD = "ci-user", "ci-pass-7f3a9c"




class Server:
    """A server process that answers `ready_status` at `url` once it is up.

    kill() and start() let a test take it away mid-operation and bring it back
    with the same port and storage.
    """

    def __init__(self, command: list[str], url: str, ready_status: int, address: str = "") -> None:
        self.command, self.url, self.ready_status, self.address = command, url, ready_status, address
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited with {self.proc.returncode}")
            try:
                if requests.get(self.url, timeout=1).status_code == self.ready_status:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.command[0]} did not answer at {self.url} within 30 s")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def registry(folder: Path) -> Iterator[Server]:
    """A real registry; .address is host:port, its blobs live under folder/data."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    htpasswd = subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], capture_output=True, text=True, check=True).stdout
    (folder / "htpasswd").write_text(htpasswd)
    (folder / "config.yml").write_text(json.dumps({
        "version": 0.1,
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}"},
        "auth": {"htpasswd": {"realm": "basic-realm", "path": str(folder / "htpasswd")}},
    }))
    binary = shutil.which("docker-registry") or "registry"
    command = [binary, "serve", str(folder / "config.yml")]
    with serving(Server(command, f"http://127.0.0.1:{port}/v2/", 401, f"127.0.0.1:{port}")) as server:
        yield server


@contextmanager
def gcs(bucket: str) -> Iterator[str]:
    port = free_port()
    command = ["gcp-storage-emulator", "start", "--host", "127.0.0.1", "--port", str(port),
               "--in-memory", "--default-bucket", bucket, "-q"]
    with serving(Server(command, f"http://127.0.0.1:{port}/storage/v1/b/{bucket}", 200)):
        yield f"http://127.0.0.1:{port}"


class JsonHandler(BaseHTTPRequestHandler):
    """Base of the in-test API stand-ins: JSON answers, no access log on stderr."""

    def _answer(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def threaded(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port in a thread; yield host:port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class FlakyProxy:
    address: str
    failures: list[str] = field(default_factory=list)


@contextmanager
def flaky_registry(upstream: str) -> Iterator[FlakyProxy]:
    """Forward to a real registry, but answer the first manifest PUT with 500.

    The docker daemon retries layer uploads itself, not the manifest PUT, so
    this is the failure our own retry has to absorb.
    """
    proxy = FlakyProxy("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self._body()
            if self.command == "PUT" and "/manifests/" in self.path and not proxy.failures:
                proxy.failures.append(self.path)
                self._send(500, {"Content-Type": "text/plain"}, b"injected failure")
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "content-length")}
            response = requests.request(self.command, f"http://{upstream}{self.path}", headers=headers, data=body,
                                        allow_redirects=False, timeout=60)
            passthrough = {k: v for k, v in response.headers.items()
                           if k.lower() not in ("transfer-encoding", "content-length", "connection", "content-encoding")}
            self._send(response.status_code, passthrough, response.content if self.command != "HEAD" else b"",
                       length=len(response.content))

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

        def _send(self, status: int, headers: dict[str, str], body: bytes, length: int | None = None) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if body:
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forward  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    with threaded(Handler) as address:
        proxy.address = address
        yield proxy
