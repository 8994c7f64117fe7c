"""The conformance suite: the same HTTP checks, put to every target.

Each check is a function of (session, base URL, expectations) that returns
(ok, expected, got). Library code: used by `invoke smoke` and by the tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import requests

if TYPE_CHECKING:
    from ..manifest import Project

TIMEOUT = 10
Outcome = tuple[bool, str, str]


@dataclass(frozen=True)
class Expect:
    health: str
    home: str | None
    echo: str | None
    static_url: str | None  # URL of the static file, or None
    static_bytes: bytes
    cache_control: str | None
    app_env: str | None
    json_errors: bool = True
    headers: tuple[tuple[str, str], ...] = ()


def _short(value: object, limit: int = 160) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "..."


def health(s: requests.Session, base: str, e: Expect) -> Outcome:
    r = s.get(base + e.health, timeout=TIMEOUT)
    ok = r.status_code == 200 and r.headers.get("Content-Type", "").startswith("application/json")
    return ok, "200 application/json", f"{r.status_code} {r.headers.get('Content-Type')}"


def home(s: requests.Session, base: str, e: Expect) -> Outcome:
    assert e.home is not None
    r = s.get(base + e.home, timeout=TIMEOUT)
    markers = ["<html"] + ([f"APP_ENV={e.app_env}"] if e.app_env else [])
    missing = [m for m in markers if m not in r.text]
    ok = r.status_code == 200 and r.headers.get("Content-Type", "").startswith("text/html") and not missing
    return ok, f"200 text/html containing {markers}", f"{r.status_code} {r.headers.get('Content-Type')} missing={missing}"


def cache_control(s: requests.Session, base: str, e: Expect) -> Outcome:
    assert e.home is not None
    got = s.get(base + e.home, timeout=TIMEOUT).headers.get("Cache-Control", "(none)")
    return got == e.cache_control, e.cache_control, got


def security_headers(s: requests.Session, base: str, e: Expect) -> Outcome:
    assert e.home is not None
    r = s.get(base + e.home, timeout=TIMEOUT)
    wanted = dict(e.headers)
    got = {name: r.headers.get(name, "(none)") for name in wanted}
    return got == wanted, str(wanted), str(got)


def echo(s: requests.Session, base: str, e: Expect) -> Outcome:
    assert e.echo is not None
    body = {"n": 1, "text": "héllo ✓", "list": [1, 2, 3]}
    r = s.post(base + e.echo, json=body, timeout=TIMEOUT)
    got = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    ok = r.status_code == 200 and got.get("json") == body and got.get("method") == "POST"
    return ok, f"200 echo of {body}", f"{r.status_code} {_short(got or r.text)}"


def query(s: requests.Session, base: str, e: Expect) -> Outcome:
    assert e.echo is not None
    r = s.post(base + e.echo + "?a=1&b=x%20y&b=z&c=%C3%A9", json={}, timeout=TIMEOUT)
    wanted = {"a": ["1"], "b": ["x y", "z"], "c": ["é"]}
    got = r.json().get("query") if r.status_code == 200 else r.status_code
    return got == wanted, str(wanted), _short(got)


def unicode_path(s: requests.Session, base: str, e: Expect) -> Outcome:
    assert e.echo is not None
    path = e.echo + "/café/ünï"
    r = s.post(base + quote(path), json={}, timeout=TIMEOUT)
    got = r.json().get("path") if r.status_code == 200 else r.status_code
    return got == path, path, _short(got)


def _app_404(r: requests.Response, e: Expect) -> Outcome:
    wanted = "application/json" if e.json_errors else ""
    ok = r.status_code == 404 and r.headers.get("Content-Type", "").startswith(wanted)
    return ok, f"404 {wanted or 'any type'} (the app's own)", f"{r.status_code} {r.headers.get('Content-Type')}"


def not_found(s: requests.Session, base: str, e: Expect) -> Outcome:
    return _app_404(s.get(f"{base}/no-such-page-{uuid.uuid4().hex[:8]}", timeout=TIMEOUT), e)


def robots(s: requests.Session, base: str, e: Expect) -> Outcome:
    # Neither app serves robots.txt, so each must give its own 404.
    return _app_404(s.get(base + "/robots.txt", timeout=TIMEOUT), e)


def static_file(s: requests.Session, base: str, e: Expect) -> Outcome:
    assert e.static_url is not None
    r = s.get(base + e.static_url, timeout=TIMEOUT)
    ok = r.status_code == 200 and r.content == e.static_bytes
    return ok, f"200, {len(e.static_bytes)} bytes identical to the source", f"{r.status_code}, {len(r.content)} bytes, identical={r.content == e.static_bytes}"


Check = Callable[[requests.Session, str, Expect], Outcome]


def suite(e: Expect) -> dict[str, Check]:
    """The checks that apply to this app, in report order."""
    checks: dict[str, Check] = {"health": health}
    if e.home:
        checks["home"] = home
        if e.cache_control:
            checks["cache-control"] = cache_control
        if e.headers:
            checks["headers"] = security_headers
    if e.echo:
        checks.update({"echo": echo, "query": query, "unicode-path": unicode_path})
    checks.update({"not-found": not_found, "robots.txt": robots})
    if e.static_url:
        checks["static-bytes"] = static_file
    return checks


def expectations(project: Project, app_env: str | None) -> Expect:
    m = project.manifest
    static_url = static_bytes = None
    if m.app.static and m.smoke.static_file:
        static_url = f"{m.app.static_url.rstrip('/')}/{m.smoke.static_file}"
        static_bytes = Path(project.root, m.app.source, m.app.static, m.smoke.static_file).read_bytes()
    return Expect(m.smoke.health, m.smoke.home, m.smoke.echo, static_url, static_bytes or b"",
                  m.defaults.cache_control if m.smoke.cache_control else None, app_env,
                  m.smoke.json_errors, tuple(sorted(m.smoke.headers.items())))


def run(base: str, e: Expect) -> dict[str, Outcome]:
    results: dict[str, Outcome] = {}
    with requests.Session() as session:
        for name, check in suite(e).items():
            try:
                results[name] = check(session, base, e)
            except (requests.RequestException, ValueError) as exc:
                results[name] = (False, "a response", f"{type(exc).__name__}: {_short(str(exc))}")
    return results
