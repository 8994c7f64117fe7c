"""The conformance checks, judged against a real HTTP server on loopback (no Docker)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from targets.manifest import Check
from targets.smoke import conformance
from targets.smoke.conformance import Suite, includes

STYLE = b"body { color: #333; }\n"


class Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {
        "/static/style.css": (200, {"Content-Type": "text/css"}, STYLE),
        "/static/short.css": (200, {"Content-Type": "text/css"}, STYLE[:-1]),  # one byte missing
        "/static/gone.css": (404, {"Content-Type": "text/html"}, STYLE),  # the right bytes, the wrong status
        "/": (200, {"Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "DENY"},
              b"<!doctype html><p>APP_ENV=dev</p>"),
        "/api": (200, {"Content-Type": "application/json"}, b'{"a": {"b": 1, "c": [1, 2]}, "d": "x"}'),
        "/moved": (302, {"Location": "/"}, b""),
        "/boom": (500, {"Content-Type": "text/html"}, b"oops"),
        # One .js file as nginx (and Python 3.11) and as gunicorn on Debian's /etc/mime.types serve it.
        "/static/nginx.js": (200, {"Content-Type": "application/javascript"}, b"let a = 1;\n"),
        "/static/python.js": (200, {"Content-Type": "text/javascript; charset=utf-8"}, b"let a = 1;\n"),
    }

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        status, headers, body = self.routes.get(self.path, (404, {"Content-Type": "application/json"}, b"{}"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
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


def _run(base: str, *checks: Check, static_url: str | None = None) -> dict[str, conformance.Outcome]:
    suite = Suite("/", checks, static_url, STYLE, {"APP_ENV": "dev"})
    return {label: outcome for label, (_, outcome) in conformance.run(base, suite).items()}


@pytest.mark.parametrize(("path", "ok"), [
    ("/static/style.css", True),
    ("/static/short.css", False),
    ("/static/gone.css", False),
    ("/static/missing.css", False),
])
def test_static_file_must_come_back_byte_identical_with_200(base: str, path: str, ok: bool) -> None:
    assert _run(base, static_url=path)["static-bytes"].ok is ok


@pytest.mark.parametrize(("check", "ok"), [
    (Check(path="/", content_type="text/html", contains="APP_ENV=${APP_ENV}"), True),  # ${NAME} expands
    (Check(path="/", contains="APP_ENV=prod"), False),
    (Check(path="/", content_type="application/json"), False),
    (Check(path="/", headers={"X-Frame-Options": "DENY"}), True),
    (Check(path="/", headers={"X-Frame-Options": "SAMEORIGIN"}), False),
    (Check(path="/api", json_includes={"a": {"b": 1}}), True),
    (Check(path="/api", json_includes={"a": {"b": 2}}), False),
    (Check(path="/api", json_includes={"a": {"c": [1]}}), False),  # lists compare whole
    (Check(path="/moved", status=302), True),  # redirects are the app's answer, not followed
    (Check(path="/moved"), False),
    (Check(path="/nope", status=404), True),
])
def test_declared_checks_judge_status_type_body_headers_and_json(base: str, check: Check, ok: bool) -> None:
    assert _run(base, check)[check.label].ok is ok


def test_every_miss_is_named(base: str) -> None:
    outcome = _run(base, Check(path="/", status=201, content_type="text/plain", contains="zzz"))["GET /"]
    assert "status 200" in outcome.got and "Content-Type text/html" in outcome.got and "'zzz'" in outcome.got


def test_unknown_path_must_not_be_a_5xx_and_is_observed_for_parity(base: str) -> None:
    outcome = _run(base)["not-found"]
    assert outcome.ok and outcome.observed is not None and outcome.observed.status == 404
    Handler.routes[conformance.NOT_FOUND_PATH] = Handler.routes["/boom"]
    try:
        assert _run(base)["not-found"].ok is False
    finally:
        del Handler.routes[conformance.NOT_FOUND_PATH]


def test_only_deterministic_checks_carry_a_body_digest(base: str) -> None:
    plain = _run(base, Check(path="/api"))["GET /api"].observed
    fixed = _run(base, Check(path="/api", deterministic=True))["GET /api"].observed
    assert plain is not None and plain.digest == ""
    assert fixed is not None and len(fixed.digest) == 64


def test_includes_is_a_recursive_subset() -> None:
    assert includes({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3})
    assert not includes({"a": {"b": 1}}, {"a": {"b": "1"}})
    assert not includes({"a": 1}, [1])
    assert includes([1, 2], [1, 2]) and not includes([1], [1, 2])


def test_every_javascript_media_type_is_one_for_parity_and_for_a_checks_content_type(base: str) -> None:
    # flaskmvc's static/main.js failed parity on compose and cloudrun (nginx) against heroku.
    outcomes = _run(base, Check(path="/static/nginx.js", content_type="text/javascript", deterministic=True),
                    Check(path="/static/python.js", content_type="application/javascript", deterministic=True))
    nginx, python = outcomes["GET /static/nginx.js"], outcomes["GET /static/python.js"]
    assert nginx.ok and python.ok
    assert nginx.observed == python.observed and nginx.observed is not None
    assert nginx.observed.content_type == "text/javascript"
    assert conformance.essence("text/css; charset=utf-8") == "text/css"  # anything else is itself
    # A favicon and an XML file as nginx and as Debian's /etc/mime.types name them.
    assert conformance.essence("image/x-icon") == conformance.essence("image/vnd.microsoft.icon")
    assert conformance.essence("text/xml; charset=utf-8") == conformance.essence("application/xml")
    # nginx has no name for .mjs: a browser refuses a module script served as octet-stream.
    assert conformance.essence("application/octet-stream") != conformance.essence("text/javascript")
    assert not _run(base, Check(path="/static/nginx.js", content_type="text/css"))["GET /static/nginx.js"].ok
