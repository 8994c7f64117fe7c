"""What smoke checks through the edge, in front of the running Cloud Run container.

The container's gunicorn access log is the witness: a request the edge
answered itself (a CDN hit, a static file) never appears in it.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import requests

from ....engine import docker_client
from ....errors import FlaskshipError
from ....smoke.session import wait_http
from . import run as edge_run

if TYPE_CHECKING:
    from pathlib import Path

    from ....smoke.session import SmokeRun

VARIANT = "via Hosting edge"
TIMEOUT = 10
LOG_BATCH = 0.25 + 0.15  # CheapAccess.EVERY in gunicorn.conf.py, and a margin for its thread to run


def through_edge(run: SmokeRun, target: str, container: docker_client.Container, port: int,
                 firebase_json: Path, service_id: str) -> None:
    """Start the edge in front of `container` and put the edge checks and the whole suite through it."""
    try:
        with edge_run.running(firebase_json, target, edge_run.upstream_of(container, port), service_id=service_id,
                              image=run.project.manifest.defaults.nginx_image, progress=run.progress) as edge:
            seconds = wait_http(edge.url + run.suite.health, 30.0, edge.container, target)
            run.record(target, VARIANT, "edge", True, "the Hosting edge starts in front of the container",
                       f"{seconds:.2f} s")
            # The cache checks first, while the edge's cache is empty. The container's log is
            # read once before them and once after (each read waits for a log batch), not
            # around every request: the calls each path got are the difference.
            sync = edge.url + run.suite.health
            paths = _get_paths(run)
            before = served_each(container, "GET", paths, sync)
            pending = _cache(run, target, edge.url, paths)
            after = served_each(container, "GET", paths, sync)
            for path, record in pending:
                record(after[path] - before[path])
            _cookies(run, target, edge.url)
            _static(run, target, edge.url, container, sync, after)
            run.conform(target, VARIANT, edge.url, {})
            if any(r.status == "fail" and r.target == target and r.variant == VARIANT for r in run.results):
                run.logs[f"{target} [edge]"] = docker_client.logs(edge.container)
    except FlaskshipError as exc:
        run.record(target, VARIANT, "edge", False, "the Hosting edge starts in front of the container", exc.message)
        if exc.detail:
            run.logs[f"{target} [edge]"] = exc.detail


def served(container: docker_client.Container, method: str, path: str, sync: str | None = None) -> int:
    """How many times gunicorn's access log shows `METHOD path` (see served_each)."""
    return served_each(container, method, [path], sync)[path]


def served_each(container: docker_client.Container, method: str, paths: list[str],
                sync: str | None = None) -> dict[str, int]:
    """How many times gunicorn's access log shows `METHOD path`, for each path.

    The log reaches Docker a moment after the answer; with `sync` (a URL through
    the edge that reaches the container: the health path with a unique query)
    it first waits until that request, sent last, is in the log too.
    """
    if sync is not None:
        marker = f"flaskship-sync={uuid.uuid4().hex}"
        requests.get(f"{sync}{'&' if '?' in sync else '?'}{marker}", timeout=TIMEOUT)
        answered = time.monotonic()
        deadline = answered + 5
        while marker not in docker_client.logs(container, "all") and time.monotonic() < deadline:
            time.sleep(0.02)
        # Each worker batches its access lines and writes them every LOG_BATCH seconds
        # (gunicorn.conf.py): with several workers the marker's may be out while
        # another still holds an earlier line. All are out one batch after the answer.
        # With one (a Cloud Run vCPU, as smoke runs it) the marker's being out says so.
        if _workers(container) != 1:
            time.sleep(max(0.0, answered + LOG_BATCH - time.monotonic()))
    log = docker_client.logs(container, "all")
    return {path: len(re.findall(rf'"{re.escape(method)} {re.escape(path)} HTTP/', log)) for path in paths}


def _workers(container: docker_client.Container) -> int:
    """gunicorn's worker count in `container`; 0 when the engine cannot say (then: wait)."""
    try:
        return docker_client.gunicorn_workers(container)
    except docker_client.DockerException:
        return 0


def cacheable(response: requests.Response) -> bool:
    """Hosting keeps a response: Cache-Control public with s-maxage or max-age > 0, no Set-Cookie."""
    control = response.headers.get("Cache-Control", "").lower()
    ages = [int(v) for v in re.findall(r"(?:s-maxage|max-age)=(\d+)", control)]
    return ("public" in re.split(r"[\s,]+", control) and any(ages) and "private" not in control
            and "no-store" not in control and "Set-Cookie" not in response.headers)


def _get_paths(run: SmokeRun) -> list[str]:
    return list(dict.fromkeys([c.path for c in run.suite.checks if c.method == "GET"] + [run.suite.health]))


def _cache(run: SmokeRun, target: str, base: str, paths: list[str]) -> list[tuple[str, Callable[[int], None]]]:
    """The first cacheable GET check: the container answers once, the edge the second time.
    Every GET check that sets a cookie: the container answers every time. Each check is
    recorded by the function returned with its path, given the container's calls for it."""
    pending: list[tuple[str, Callable[[int], None]]] = []
    checked = False
    for path in paths:
        first = requests.get(base + path, timeout=TIMEOUT, allow_redirects=False)
        if "Set-Cookie" in first.headers:
            again = requests.get(base + path, timeout=TIMEOUT, allow_redirects=False)

            def never_kept(calls: int, path: str = path, again: requests.Response = again) -> None:
                run.record(target, VARIANT, "edge-set-cookie-never-kept",
                           calls == 2 and again.headers.get("X-Cache") != "HIT",
                           f"GET {path} sets a cookie: never kept, the container answers every time",
                           f"X-Cache {again.headers.get('X-Cache')}, container called {calls} time(s) for 2 requests",
                           path=path)
            pending.append((path, never_kept))
        elif cacheable(first) and not checked:
            checked = True
            second = requests.get(base + path, timeout=TIMEOUT, allow_redirects=False)

            def kept(calls: int, path: str = path, first: requests.Response = first,
                     second: requests.Response = second) -> None:
                ok = (first.headers.get("X-Cache") == "MISS" and second.headers.get("X-Cache") == "HIT" and calls == 1
                      and second.content == first.content and second.status_code == first.status_code)
                run.record(target, VARIANT, "edge-cache", ok,
                           f"GET {path} ({first.headers.get('Cache-Control')}): MISS from the container, then HIT "
                           "from the edge with the same body; the container called once",
                           f"{first.headers.get('X-Cache')} then {second.headers.get('X-Cache')}, same body: "
                           f"{second.content == first.content}, container called {calls} time(s)", path=path)
            pending.append((path, kept))
    if not checked:
        run.progress(f"  {target} [{VARIANT}] edge-cache: no GET check answers with Cache-Control: public and "
                     "s-maxage/max-age, so the CDN keeps none (not checked)")
    return pending


def _cookies(run: SmokeRun, target: str, base: str) -> None:
    """Only __session reaches the container (seen by smoke.url_echo, when it reports `cookies`)."""
    echo = run.project.manifest.smoke.url_echo
    if not echo:
        return
    response = requests.post(base + echo, json={}, timeout=TIMEOUT,
                             headers={"Cookie": "__session=kept; tracker=dropped; other=dropped"})
    try:
        seen = response.json().get("cookies")
    except ValueError:
        seen = None
    if seen is None:
        run.progress(f"  {target} [{VARIANT}] edge-cookies: {echo} reports no `cookies`, so what reaches the "
                     "container cannot be seen (not checked)")
        return
    run.record(target, VARIANT, "edge-cookies", seen == {"__session": "kept"},
               "the container sees only __session", f"the container saw {seen}", path=echo)


def _static(run: SmokeRun, target: str, base: str, container: docker_client.Container, sync: str,
            counted: dict[str, int]) -> None:
    """`counted`: the log's counts after the cache checks, the static path's among them
    when a GET check asks for it too (one read fewer)."""
    url = run.suite.static_url
    if not url:
        return
    before = counted[url] if url in counted else served(container, "GET", url, sync)
    response = requests.get(base + url, timeout=TIMEOUT)
    calls = served(container, "GET", url, sync) - before
    ok = response.status_code == 200 and response.content == run.suite.static_bytes and calls == 0
    run.record(target, VARIANT, "edge-static", ok, f"{url} from public/ by the edge, never the container",
               f"{response.status_code}, identical={response.content == run.suite.static_bytes}, "
               f"container called {calls} time(s)", path=url)
