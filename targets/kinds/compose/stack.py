"""Smoke a compose target: bring the stack up, check through nginx, always tear down."""

from __future__ import annotations

import json
import os
import random
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import requests
import yaml

from ...engine import docker_client, outbound
from ...errors import SmokeFailed
from ...smoke import hints
from ...smoke.session import vanished, wait_http
from . import cli as compose_cli
from . import watch
from .watch import containers, seconds

if TYPE_CHECKING:
    from ...manifest import Project
    from ...records import BuildRecord
    from ...smoke.session import SmokeRun
    from .settings import ComposeSettings

BOOT_WITHIN = 90.0
STOP_GRACE = 10  # compose's default stop timeout
# The first is the alias off-by-slash (`location /static` + `alias .../static/`):
# it would map to /srv/static/../static/style.css and answer 200.
TRAVERSALS = ("/static../static/style.css", "/static/../../../etc/passwd", "/static..%2f..%2fetc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
              "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/....//....//etc/passwd")


# How far below the ephemeral range ports are picked (Linux's default range starts at 32768).
EPHEMERAL_BELOW = 12000


def free_port(host: str) -> int:
    """A port nobody holds right now: smoke never fights a user's server for its port.

    Taken below the kernel's ephemeral range, not from bind(0): the engine gives every
    `-p 127.0.0.1::port` a port from that range too (a cloudrun container of the same run,
    the functions runner, a test's), and one it gave away between this pick and compose's
    bind failed a compose smoke with "Bind for 127.0.0.1:33567 failed: port is already
    allocated". Below the range, only a server that asks for that very port can take it."""
    low = _ephemeral_low()
    for port in random.sample(range(max(1024, low - EPHEMERAL_BELOW), low), k=min(64, max(0, low - 1024))):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a range with no room below it
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range, which the engine allocates from as well."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; the engine falls back to 49153, above it


def passed_names(project: Project) -> list[str]:
    """Every variable web may get, from any environment (plain or secret): compose passes each
    by name from its own environment, where an unset one is left out."""
    return sorted({name for env in project.manifest.environments.values() for name in (*env.env, *env.secrets)}
                  - {"TRUST_PROXY_HOPS"})


def compose_environment(project: Project, values: Mapping[str, str], publish: int) -> dict[str, str]:
    """What compose runs with: the host's environment for compose itself (PATH), the engine it
    must talk to (DOCKER_HOST), minus every variable the file passes to web by name, plus this
    run's `values` of them, exactly. A host variable of the same name never reaches the app."""
    env = {key: value for key, value in os.environ.items() if key not in set(passed_names(project))}
    engine = docker_client.endpoint.environment(docker_client.engine_endpoint())
    return {**env, **engine, **values, "FLASKSHIP_PUBLISH": str(publish)}


def compose_files(folder: Path, target: str, tmp: Path, services_network: str | None = None,
                  app_services: tuple[str, ...] = ("web",)) -> list[Path]:
    """The generated file plus labels for this run only, merged over it (the file in
    build/ stays what a user deploys). Every service and the default network carry
    them, so `invoke clean` finds what an interrupted run left. With a services
    network, the app's services (web, release) join it too: there `db` is the
    instance every target of the run shares."""
    override = tmp / "labels.yml"
    services = yaml.safe_load((folder / "docker-compose.yml").read_text(encoding="utf-8")).get("services", {})
    data: dict = {"services": {s: {"labels": docker_client.labels(target)} for s in services},
                  "networks": {"default": {"labels": docker_client.labels(target)}}}
    if services_network:
        for service in app_services:
            data["services"][service]["networks"] = ["default", "flaskship_services"]
        data["networks"]["flaskship_services"] = {"external": True, "name": services_network}
    override.write_text(json.dumps(data))
    return [folder / "docker-compose.yml", override]


def smoke_stack(record: BuildRecord, run: SmokeRun, settings: ComposeSettings) -> None:
    target, variant = record.target, f"{' '.join(compose_cli.command())} via nginx"
    compose_cli.program_env()  # its first answer may start the program (0.2-0.45 s): not in the timed boot
    address = (settings.publish_host, free_port(settings.publish_host))
    folder = run.project.build_dir / target
    project = f"flaskship-{target}-{docker_client.SESSION}-{uuid.uuid4().hex[:6]}".lower()
    env = {**compose_environment(run.project, run.env, address[1]),
           **run.services.compose_env(run.service_names(target))}
    within = run.boot_within(BOOT_WITHIN)
    with tempfile.TemporaryDirectory(prefix="flaskship-compose-") as tmp:
        files = compose_files(folder, target, Path(tmp), run.network(target), _app_services(run))
        docker_client.COMPOSE_PROJECTS.add(project)
        try:
            run.progress(f"  {target} [{variant}]: compose up (project {project}) ...")
            try:
                # `up` waits for web to be healthy before it starts nginx: bound it by the
                # boot window too, or a hung app costs the healthcheck's whole budget.
                started = time.monotonic()
                _up(project, files, _shared_services(run, target), env, target, within, run.suite.health)
                base = f"http://{address[0]}:{address[1]}"
                wait_http(base + run.suite.health, max(within - (time.monotonic() - started), 1.0), None, target)
                seconds = time.monotonic() - started
            except SmokeFailed as exc:
                # compose's own output says which service failed; the app's log says why,
                # and the note read from it is the one the other kinds give (a folder to
                # make writable, the app's last error; a failed release service's too).
                log = "\n".join(part for part in (exc.detail, _logs(project)) if part)
                run.logs[f"{target} [{variant}]"] = log
                note = hints.boot(log, run.project.manifest.app.release is not None)
                run.record(target, variant, "boot", False, f"{run.suite.health} answers through nginx within {within:g} s",
                           exc.message + note)
                return
            run.record(target, variant, "boot", True, got=f"{seconds:.2f} s")
            _release_ran(run, target, project)
            run.conform(target, variant, base, {})
            try:
                _contract_checks(run, target, variant, base, project, settings, address)
            except (requests.RequestException, OSError, ValueError, docker_client.DockerException) as exc:
                # a service died or was killed under the checks: a failure to report, not a crash
                run.record(target, variant, "still-running", False, "the stack keeps running through its checks",
                           vanished(exc))
            if any(r.status == "fail" and r.target == target for r in run.results):
                run.logs[f"{target} [{variant}]"] = _logs(project)
        finally:
            # The graceful stop was measured above (sigterm-stop); tearing down need not wait for it.
            docker_client.remove_compose_project(project)


def _up(project: str, files: list[Path], services: list[str], env: dict[str, str], target: str, within: float,
        health: str) -> None:
    """`compose up -d`, stopped as soon as web's healthcheck shows the app failing (watch.py)."""
    stop, done = threading.Event(), threading.Event()
    found: list[SmokeFailed] = []
    watcher = threading.Thread(target=watch.fail_fast, args=(project, health, target, stop, done, found),
                               name=f"flaskship-{target}-watch", daemon=True)
    watcher.start()
    try:
        compose_cli.run(project, files, ["up", "-d", *services], env, target, timeout=within, stop=stop)
    except SmokeFailed:
        if found:
            raise found[0] from None
        raise
    finally:
        done.set()
        watcher.join()


def _app_services(run: SmokeRun) -> tuple[str, ...]:
    return ("release", "web") if run.project.manifest.app.release else ("web",)


def _shared_services(run: SmokeRun, target: str) -> list[str]:
    """`up` arguments: with services, only the app's own (the file's db, cache ... are
    this run's shared instances instead); the file's healthchecks are tested on their own."""
    if not run.network(target):
        return []
    return ["--no-deps", *_app_services(run), "nginx"]


def _contract_checks(run: SmokeRun, target: str, variant: str, base: str, project: str,
                     settings: ComposeSettings, address: tuple[str, int]) -> None:
    static_url = run.suite.static_url
    echo = run.project.manifest.smoke.url_echo
    if static_url:
        response = outbound.get(base + static_url, timeout=10)
        web_log = "\n".join(c.logs().decode("utf-8", "replace") for c in containers(project, "web"))
        from_nginx = response.status_code == 200 and static_url not in web_log
        run.record(target, variant, "static-from-nginx", from_nginx,
                   "served by nginx; absent from gunicorn's access log",
                   f"{response.status_code}; in gunicorn log: {static_url in web_log}")
        wanted = run.project.manifest.defaults.static_cache_control
        got = response.headers.get("Cache-Control", "(none)")
        run.record(target, variant, "static-cache-control", got == wanted, wanted, got)
    if echo:
        https = outbound.post(base + echo, json={}, headers={"X-Forwarded-Proto": "https"}, timeout=10).json()
        plain = outbound.post(base + echo, json={}, timeout=10).json()
        ok = str(https.get("url", "")).startswith("https://") and str(plain.get("url", "")).startswith("http://")
        run.record(target, variant, "forwarded-proto", ok, "https:// with X-Forwarded-Proto: https, http:// without",
                   f"{https.get('url')} / {plain.get('url')}")
    run.record(target, variant, "unknown-host", *_unknown_host(base))
    if echo:
        run.record(target, variant, "host-spoofing", *_host_spoofing(settings, address, echo))
    leaks = [path for path in TRAVERSALS if _leaks(_raw_get(address, path))]
    run.record(target, variant, "path-traversal", not leaks, "no path outside the static folder", f"leaked via {leaks}" if leaks else "none leaked")
    published = [c.name for c in containers(project, "web") if any(c.attrs["NetworkSettings"]["Ports"].get(p) for p in c.attrs["NetworkSettings"]["Ports"])]
    run.record(target, variant, "web-not-published", not published, "only nginx publishes a port", f"web published: {published}")
    # `docker compose stop`/`down` sends SIGTERM and waits STOP_GRACE s before SIGKILL.
    for web in containers(project, "web"):
        took = docker_client.timed_stop(web, STOP_GRACE)
        run.record(target, variant, "sigterm-stop", took < STOP_GRACE, f"exit within {STOP_GRACE} s of SIGTERM",
                   f"{took:.2f} s")


def _unknown_host(base: str) -> tuple[bool, str, str]:
    try:
        response = outbound.get(base + "/", headers={"Host": "unknown.invalid"}, timeout=5)
        return False, "connection closed (nginx 444)", f"HTTP {response.status_code}"
    except requests.ConnectionError:
        return True, "connection closed (nginx 444)", "closed"


def _host_spoofing(settings: ComposeSettings, address: tuple[str, int], echo: str) -> tuple[bool, str, str]:
    """An absolute request line for a served name, with another Host header and an
    X-Forwarded-Host: the app must build its URLs for the served name only."""
    name = settings.server_names[0]
    request = (f"POST http://{name}:{address[1]}{echo} HTTP/1.1\r\nHost: evil.example\r\n"
               "X-Forwarded-Host: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
               "Connection: close\r\n\r\n{}")
    answer = _raw(address, request)
    body = answer.partition("\r\n\r\n")[2]
    try:
        url = str(json.loads(body).get("url", ""))
    except ValueError:
        url = answer.splitlines()[0] if answer else "no answer"
    ok = url.startswith(f"http://{name}") and "evil.example" not in answer
    return ok, f"URLs for {name}, never evil.example", url


def _leaks(response: str) -> bool:
    return response.startswith("HTTP/1.1 200") or "root:x:0:0" in response


def _raw_get(address: tuple[str, int], path: str) -> str:
    """Send the path byte-for-byte (requests would normalise the dots away)."""
    return _raw(address, f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")


def _raw(address: tuple[str, int], request: str) -> str:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


def _release_ran(run: SmokeRun, target: str, project: str) -> None:
    """The release service's run, recorded as the other kinds record theirs: web waited for it
    to exit 0 (service_completed_successfully), and the matrix showed `-` for compose."""
    if run.project.manifest.app.release is None:
        return
    for container in containers(project, "release"):
        state = container.attrs.get("State", {})
        took = seconds(state.get("StartedAt", ""), state.get("FinishedAt", ""))
        code = state.get("ExitCode")
        run.record(target, "release", "release", code == 0, "exit 0 before web starts",
                   f"exit {code}" + (f" after {took:.1f} s" if took is not None else ""))


def _logs(project: str) -> str:
    """Each service's log: its last lines, and the first traceback if that scrolled out of them."""
    parts = []
    for service in ("release", "web", "nginx"):
        for container in containers(project, service):
            parts.append(f"[{service}]\n{docker_client.logs(container)}")
    return "\n".join(parts)
