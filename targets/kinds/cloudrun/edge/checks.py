"""What smoke checks through the edge, in front of the running Cloud Run container.

The edge's own access log is the witness of what it sent on to the container:
each line names the upstream the request went to, or "-" when the edge answered
it itself (a CDN hit, a static file). nginx writes it as each request ends;
gunicorn batches its own lines per worker, so a count there waits out a batch.
tests/integration/test_edge.py holds the two counts against each other.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import requests

from ....engine import docker_client, outbound
from ....errors import FlaskshipError, SmokeFailed
from ....smoke.session import wait_http
from . import run as edge_run

if TYPE_CHECKING:
    from pathlib import Path

    from ....smoke.session import SmokeRun

VARIANT = "via Hosting edge"
TIMEOUT = 10
# A line of the edge's log (log_format edge in templates/nginx.conf.j2).
# upstream= comes last: its value may hold spaces (upstream_calls).
EDGE_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[^"]*" .* upstream=(?P<upstream>.+)$')


def through_edge(run: SmokeRun, target: str, container: docker_client.Container, port: int,
                 firebase_json: Path, service_id: str) -> None:
    """Start the edge in front of `container` and put the edge checks and the whole suite through it."""
    try:
        with edge_run.running(firebase_json, target, edge_run.upstream_of(container, port), service_id=service_id,
                              image=run.project.manifest.defaults.nginx_image, progress=run.progress) as edge:
            seconds = wait_http(edge.url + run.suite.health, 30.0, edge.container, target)
            run.record(target, VARIANT, "edge", True, "the Hosting edge starts in front of the container",
                       f"{seconds:.2f} s")
            # The cache checks first, on URLs of their own (probe_paths): the suite then
            # meets an edge whose cache holds none of its URLs, as a first visitor would.
            # The edge's log is read once before them and once after, not around every
            # request: the calls each path got are the difference.
            sync = edge.url + run.suite.health
            probes = probe_paths(_get_paths(run))
            before = origin_calls(edge, "GET", list(probes), sync)
            pending = _cache(run, target, edge.url, probes)
            # The static URL's count comes with it: _static's "before", without a read of its own.
            static = [run.suite.static_url] if run.suite.static_url else []
            after = origin_calls(edge, "GET", [*probes, *static], sync)
            for path, record in pending:
                record(after[path] - before[path])
            _cookies(run, target, edge.url)
            _static(run, target, edge, sync, after)
            run.conform(target, VARIANT, edge.url, {})
            if any(r.status == "fail" and r.target == target and r.variant == VARIANT for r in run.results):
                run.logs[f"{target} [edge]"] = docker_client.logs(edge.container)
    except FlaskshipError as exc:
        run.record(target, VARIANT, "edge", False, "the Hosting edge starts in front of the container", exc.message)
        if exc.detail:
            run.logs[f"{target} [edge]"] = exc.detail


def origin_calls(edge: edge_run.Edge, method: str, paths: list[str], sync: str) -> dict[str, int]:
    """How many `METHOD path` requests the edge sent upstream, to the container, for each path.

    nginx writes a line once its answer is out, so the client can read the answer a
    moment before the line is there. `sync` (the health path through the edge, given a
    unique query, so never a cache hit) is sent last and awaited in the log: the one
    nginx worker writes its lines in order, so every earlier request's line is out
    with it. Its own line must name the upstream, or no count here could be trusted
    (a log that cannot be read, a log_format this no longer parses): SmokeFailed.
    """
    marker = f"flaskship-sync={uuid.uuid4().hex}"
    # Never followed: a health path that redirects (CTFd's / to /setup) would add a call
    # to the page it names, after the marker's line, so to the next count and not this one.
    outbound.get(f"{sync}{'&' if '?' in sync else '?'}{marker}", timeout=TIMEOUT, allow_redirects=False)
    deadline = time.monotonic() + 5
    while True:
        lines = edge.log().splitlines()
        synced = next((EDGE_LINE.search(line) for line in lines if marker in line), None)
        if synced is not None or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    if synced is None or synced["upstream"] == "-":
        raise SmokeFailed(f"the edge's log shows no call to the container for {sync}?{marker} within 5 s, so its "
                          "calls for the cache checks cannot be counted", "\n".join(lines[-20:]))
    counts = dict.fromkeys(paths, 0)
    for line in lines:
        seen = EDGE_LINE.search(line)
        if seen and seen["method"] == method and seen["path"] in counts:
            counts[seen["path"]] += upstream_calls(seen["upstream"])
    return counts


def upstream_calls(upstream: str) -> int:
    """Calls to the container one line of the edge's log stands for: nginx's $upstream_addr
    is "-" when the edge answered itself, one address per call otherwise, ", " between the
    tries of one call and " : " between the calls of an internal redirect."""
    return 0 if upstream.strip() == "-" else len(re.split(r", | : ", upstream.strip()))


def cacheable(response: requests.Response) -> bool:
    """Hosting keeps a response: Cache-Control public with s-maxage or max-age > 0, no Set-Cookie."""
    control = response.headers.get("Cache-Control", "").lower()
    ages = [int(v) for v in re.findall(r"(?:s-maxage|max-age)=(\d+)", control)]
    return ("public" in re.split(r"[\s,]+", control) and any(ages) and "private" not in control
            and "no-store" not in control and "Set-Cookie" not in response.headers)


def _get_paths(run: SmokeRun) -> list[str]:
    return list(dict.fromkeys([c.path for c in run.suite.checks if c.method == "GET"] + [run.suite.health]))


def probe_paths(paths: list[str]) -> dict[str, str]:
    """The GET paths with a query of this run's own: the edge keeps what it caches by the
    whole URL, as Hosting's CDN does, so what the probes make it keep (a 404 for an
    article a later POST check creates, kept 10 minutes) is never what a check of the
    suite is answered from. A path that names a value a check saves (`${SLUG}`) is left
    out: before the suite runs there is no value. Probe URL -> the check's own path, which
    results are recorded under (and platform differences declared by)."""
    mark = f"flaskship-probe={uuid.uuid4().hex[:12]}"
    return {f"{path}{'&' if '?' in path else '?'}{mark}": path for path in paths if "${" not in path}


def _cache(run: SmokeRun, target: str, base: str, probes: dict[str, str]) -> list[tuple[str, Callable[[int], None]]]:
    """The first cacheable GET check the container answers: it answers once, the edge the second time.
    Every GET check that sets a cookie: the container answers every time. Each check is
    recorded by the function returned with its probe URL, given the container's calls for it."""
    pending: list[tuple[str, Callable[[int], None]]] = []
    checked = False
    for probe, path in probes.items():
        first = outbound.get(base + probe, timeout=TIMEOUT, allow_redirects=False)
        if "Set-Cookie" in first.headers:
            again = outbound.get(base + probe, timeout=TIMEOUT, allow_redirects=False)

            def never_kept(calls: int, path: str = path, again: requests.Response = again) -> None:
                run.record(target, VARIANT, "edge-set-cookie-never-kept",
                           calls == 2 and again.headers.get("X-Cache") != "HIT",
                           f"GET {path} sets a cookie: never kept, the container answers every time",
                           f"X-Cache {again.headers.get('X-Cache')}, container called {calls} time(s) for 2 requests",
                           path=path)
            pending.append((probe, never_kept))
        elif cacheable(first) and "X-Cache" in first.headers and not checked:
            # Only the run rewrite's answers carry X-Cache: a file of public/ (searxng's
            # /static/...css, checked by a user) never reaches the container, so it cannot show
            # the CDN keeping what the container said.
            checked = True
            second = outbound.get(base + probe, timeout=TIMEOUT, allow_redirects=False)

            def kept(calls: int, path: str = path, first: requests.Response = first,
                     second: requests.Response = second) -> None:
                ok = (first.headers.get("X-Cache") == "MISS" and second.headers.get("X-Cache") == "HIT" and calls == 1
                      and second.content == first.content and second.status_code == first.status_code)
                run.record(target, VARIANT, "edge-cache", ok,
                           f"GET {path} ({first.headers.get('Cache-Control')}): MISS from the container, then HIT "
                           "from the edge with the same body; the container called once",
                           f"{first.headers.get('X-Cache')} then {second.headers.get('X-Cache')}, same body: "
                           f"{second.content == first.content}, container called {calls} time(s)", path=path)
            pending.append((probe, kept))
    if not checked:
        run.progress(f"  {target} [{VARIANT}] edge-cache: no GET check answers with Cache-Control: public and "
                     "s-maxage/max-age, so the CDN keeps none (not checked)")
    return pending


def _cookies(run: SmokeRun, target: str, base: str) -> None:
    """Only __session reaches the container (seen by smoke.url_echo, when it reports `cookies`)."""
    echo = run.project.manifest.smoke.url_echo
    if not echo:
        return
    response = outbound.post(base + echo, json={}, timeout=TIMEOUT,
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


def _static(run: SmokeRun, target: str, edge: edge_run.Edge, sync: str, counted: dict[str, int]) -> None:
    """`counted`: the origin calls after the cache checks, the static path's among them."""
    url = run.suite.static_url
    if not url:
        return
    before = counted[url] if url in counted else origin_calls(edge, "GET", [url], sync)[url]
    response = outbound.get(edge.url + url, timeout=TIMEOUT)
    calls = origin_calls(edge, "GET", [url], sync)[url] - before
    ok = response.status_code == 200 and response.content == run.suite.static_bytes and calls == 0
    run.record(target, VARIANT, "edge-static", ok, f"{url} from public/ by the edge, never the container",
               f"{response.status_code}, identical={response.content == run.suite.static_bytes}, "
               f"container called {calls} time(s)", path=url)
