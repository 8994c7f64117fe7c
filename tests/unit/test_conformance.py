"""The conformance checks judged against a real HTTP server on loopback (no Docker)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from targets.smoke import conformance

STYLE = b"body { color: #333; }\n"


class Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {
        "/static/style.css": (200, "text/css", STYLE),
        "/static/short.css": (200, "text/css", STYLE[:-1]),  # one byte missing
        "/static/gone.css": (404, "text/html", STYLE),  # the right bytes, the wrong status
    }

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        status, ctype, body = self.routes.get(self.path, (404, "application/json", b'{"error": "Not Found"}'))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _expect(static_url: str | None, **changes: object) -> conformance.Expect:
    fields: dict[str, object] = dict(health="/healthz", home=None, echo=None, static_url=static_url,
                                     static_bytes=STYLE, cache_control=None, app_env=None)
    fields.update(changes)
    return conformance.Expect(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "ok"), [
    ("/static/style.css", True),
    ("/static/short.css", False),
    ("/static/gone.css", False),
    ("/static/missing.css", False),
])
def test_static_file_must_come_back_byte_identical_with_200(base: str, path: str, ok: bool) -> None:
    with requests.Session() as session:
        assert conformance.static_file(session, base, _expect(path))[0] is ok


def test_not_found_wants_the_apps_own_json_404(base: str) -> None:
    with requests.Session() as session:
        assert conformance.not_found(session, base, _expect(None))[0] is True
        assert conformance.not_found(session, base, _expect(None, json_errors=False))[0] is True
    Handler.routes["/robots.txt"] = (404, "text/html", b"<p>nope</p>")
    try:
        with requests.Session() as session:
            assert conformance.robots(session, base, _expect(None))[0] is False
            assert conformance.robots(session, base, _expect(None, json_errors=False))[0] is True
    finally:
        del Handler.routes["/robots.txt"]


def test_suite_includes_only_the_checks_the_app_declares() -> None:
    assert list(conformance.suite(_expect(None))) == ["health", "not-found", "robots.txt"]
    assert "static-bytes" in conformance.suite(_expect("/static/style.css"))
    assert "echo" in conformance.suite(_expect(None, echo="/api/echo"))
