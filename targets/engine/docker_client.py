"""The boundary to the Docker engine (docker SDK for Python).

docker-py errors never leave this module: they become DaemonUnreachable,
BuildFailed or SmokeFailed with a one-line message and a log tail. Everything
started here carries the labels in `labels()` and is removed in `finally`;
nothing without our session label is ever touched.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import docker
import docker.errors
import requests
import urllib3.exceptions
from docker.models.containers import Container

__all__ = ["Container", "DockerException"]

DockerException = docker.errors.DockerException

from ..errors import BuildFailed, DaemonUnreachable, SmokeFailed
from ..files import bytes_tar
from . import endpoint
from .tracebacks import CAUSE_LINES, TAIL_LINES, with_cause
from ..ui.lines import Detail

LABEL = "io.flaskship"
# One id per run, on every container it starts; a caller (the tests) may set it
# to find exactly what one run started.
SESSION = os.environ.get("FLASKSHIP_SESSION") or uuid.uuid4().hex[:12]
# One id per process, on everything it starts: what sweep() removes after an
# interrupt, never touching another run of the same session.
INVOCATION = uuid.uuid4().hex[:12]
# Compose projects this process has up; stack.py adds one before `up` and
# forgets it once `down` succeeded.
COMPOSE_PROJECTS: set[str] = set()


# The project (the manifest's folder) everything is labelled with, so `invoke
# clean` removes this project's leftovers and nobody else's on a shared engine.
PROJECT = os.environ.get("FLASKSHIP_PROJECT", "")


def project_id(root: Path) -> str:
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]


def use_project(root: Path) -> None:
    global PROJECT
    PROJECT = project_id(root)


def project_labels() -> dict[str, str]:
    return {f"{LABEL}.project": PROJECT} if PROJECT else {}


def labels(target: str, **extra: str) -> dict[str, str]:
    return {f"{LABEL}.managed": "true", f"{LABEL}.session": SESSION, f"{LABEL}.target": target,
            f"{LABEL}.invocation": INVOCATION, **project_labels(), **extra}


_used = False  # set by client(): this process has talked to the engine


def in_use() -> bool:
    """This process has talked to the engine (so it may have started something)."""
    return _used


def sweep() -> list[str]:
    """Remove what this process started and still holds: its labelled containers, and the
    networks of its compose projects. The net under every `finally`, for an interrupt that
    landed inside a cleanup. Returns what it removed."""
    removed = []
    for container in client().containers.list(all=True, filters={"label": f"{LABEL}.invocation={INVOCATION}"}):
        remove(container)
        removed.append(f"container {container.name}")
    for project in sorted(COMPOSE_PROJECTS):
        removed += remove_compose_project(project)
    return removed


def remove_compose_project(project: str) -> list[str]:
    """What `compose down -v --remove-orphans` removes, through the API: the project's
    containers (with their anonymous volumes), networks and named volumes, by compose's
    own project label. A third of a second where a compose v1 `down` took a whole one
    (its Python start, then a stop the smoke has already measured). Returns what it removed."""
    engine = client()
    selector = {"label": f"com.docker.compose.project={project}"}
    removed = []
    for container in engine.containers.list(all=True, filters=selector):
        remove(container)
        removed.append(f"container {container.name}")
    for thing, kind in ((engine.networks, "network"), (engine.volumes, "volume")):
        for item in thing.list(filters=selector):
            try:
                item.remove()
                removed.append(f"{kind} {item.name}")
            except docker.errors.NotFound:
                pass
    COMPOSE_PROJECTS.discard(project)
    return removed


@lru_cache(maxsize=1)
def engine_endpoint() -> endpoint.Endpoint:
    return endpoint.current()


def endpoint_description() -> str:
    return engine_endpoint().describe()


def is_local() -> bool:
    return engine_endpoint().local


def image_labels(target: str) -> dict[str, str]:
    """An image's labels: no session, so the same inputs make the same image in every run
    (few: the classic builder adds one step, one commit, per label); the project, so
    `invoke clean` knows its own images."""
    return {f"{LABEL}.target": target, **project_labels()}


_local = threading.local()


def client() -> docker.DockerClient:
    """This thread's engine client. One per thread: docker-py's client is a
    requests.Session, which is not thread-safe (docker-py #3229), and targets
    build and smoke on threads of their own (--jobs)."""
    global _used
    engine: docker.DockerClient | None = getattr(_local, "engine", None)
    if engine is None:
        engine = _local.engine = _connect()
        _used = True
    return engine


def _connect() -> docker.DockerClient:
    where = engine_endpoint()
    try:
        engine = docker.DockerClient(timeout=120, **endpoint.client_kwargs(where))
        engine.ping()
    except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
        reason = str(exc).split("(")[0].strip().rstrip(":") or type(exc).__name__
        raise DaemonUnreachable(
            f"Docker daemon not reachable at {where.describe()} ({reason}); start it with bin/setup "
            "(or `dockerd &` as root), or point DOCKER_HOST or `docker context use` at a running engine"
        ) from None
    return engine


def tail(lines: list[str] | deque[str], count: int = TAIL_LINES) -> str:
    return "\n".join(list(lines)[-count:])


def build_image(
    context: Path,
    tag: str,
    target: str,
    image_labels: Mapping[str, str],
    dockerfile: str = "Dockerfile",
    buildargs: Mapping[str, str] | None = None,
    progress: Callable[[str], None] = print,
    stage: str | None = None,
) -> str:
    """Build with the classic builder (docker-py has no BuildKit); return the image id.

    The builder's output (`Step N/M`, the commands' own lines) goes to progress
    as Detail lines, which only --verbose shows; a failure carries its tail.
    `stage` stops at that stage of a multi-stage Dockerfile.
    """
    log: deque[str] = deque(maxlen=200)
    image_id = ""
    try:
        stream = client().api.build(
            path=str(context),
            dockerfile=dockerfile,
            tag=tag,
            labels=dict(image_labels),
            rm=True,
            forcerm=True,
            pull=False,
            buildargs=dict(buildargs or {}),
            target=stage,
            decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                log.append(str(chunk["error"]).rstrip())
                raise BuildFailed(
                    f"{target}: image build failed: {str(chunk['error']).strip().splitlines()[-1]}",
                    tail(log),
                )
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                log.extend(text.splitlines())
                for line in text.splitlines():
                    progress(Detail(f"  {target}: {line}"))
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
    except docker.errors.APIError as exc:
        raise BuildFailed(f"{target}: image build failed: {exc.explanation or exc}", tail(log)) from None
    except docker.errors.DockerException as exc:
        raise BuildFailed(f"{target}: image build failed: {exc}", tail(log)) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # The engine went away mid-stream (stopped, crashed, its socket gone).
        raise DaemonUnreachable(f"{target}: the Docker engine at {engine_endpoint().describe()} went away during the "
                                f"image build ({type(exc).__name__}); check `docker info` and build again",
                                tail(log)) from None
    if not image_id:
        raise BuildFailed(f"{target}: the build stream ended without an image id", tail(log))
    return image_id


def tagged_id(tag: str) -> str | None:
    """The id of the image `tag` (a name or an id) names now, or None; never pulls."""
    try:
        return str(client().images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def image_size(image: str) -> int:
    return int(client().images.get(image).attrs["Size"])


def remove_image(ref: str, noprune: bool = False) -> None:
    """Remove an image (or, with noprune and another tag left, just this tag) this tool made;
    one that is already gone is fine."""
    try:
        client().images.remove(ref, force=not noprune, noprune=noprune)
    except docker.errors.ImageNotFound:
        pass


@contextmanager
def _labelled(target: str, start: Callable[[dict[str, str]], Container]) -> Iterator[Container]:
    """Start a container with this run's labels and always remove it afterwards.

    A per-call label too: if Ctrl-C lands while the daemon is creating the
    container, we never get the object back, but can still find and remove it.
    """
    run_id = uuid.uuid4().hex
    container: Container | None = None
    try:
        container = start(labels(target, **{f"{LABEL}.run": run_id}))
        yield container
    finally:
        if container is not None:
            remove(container)
        else:
            for orphan in client().containers.list(all=True, filters={"label": f"{LABEL}.run={run_id}"}):
                remove(orphan)


def _start(target: str, image: str, files: Sequence[bytes] = (), **options: object) -> Callable[[dict[str, str]], Container]:
    def start(run_labels: dict[str, str]) -> Container:
        try:
            if not files:
                container: Container = client().containers.run(image, detach=True, labels=run_labels, **options)
            else:
                # Files go in before the start (tars at /, in order): no bind mount, so
                # what the container reads is exactly what was given, readable by its user.
                container = client().containers.create(image, labels=run_labels, **options)
                for tar in files:
                    container.put_archive("/", tar)
                container.start()
        except docker.errors.APIError as exc:
            raise SmokeFailed(f"{target}: could not start {image}: {exc.explanation or exc}") from None
        return container
    return start


# A one-off container that needs no network gets none: NetworkDisabled gives it a
# network namespace of its own with only loopback, as `--network none` does, but
# without libnetwork's sandbox: dockerd does not run itself as the namespace's
# setkey hook nor write the container's /etc/hosts (its /etc/hosts is the image's).
# A run of a small container went from 0.22 to 0.13 s, its CPU from 0.23 to 0.13 s.
NO_NETWORK = "none"
OFFLINE: Mapping[str, object] = {"network_disabled": True}


def _attach(network: str | None, aliases: tuple[str, ...] = ()) -> dict[str, object]:
    """Options that put a container on `network` (reachable there by its aliases), or on none."""
    if network is None:
        return {}
    if network == NO_NETWORK:
        return dict(OFFLINE)
    config = {network: client().api.create_endpoint_config(aliases=list(aliases) or None)}
    return {"network": network, "networking_config": config}


@contextmanager
def running(
    image: str,
    target: str,
    *,
    environment: Mapping[str, str],
    container_port: int,
    user: str | None = None,
    command: list[str] | None = None,
    files: bytes | None = None,
    network: str | None = None,
    aliases: tuple[str, ...] = (),
    limits: Mapping[str, object] | None = None,
) -> Iterator[tuple[Container, int]]:
    """Run a labelled container with `container_port` published on a free loopback port
    (`files`: a tar archive unpacked at / before it starts; with `network`, on that
    network too, as its `aliases`; `limits`: the platform's shape, as docker-py takes
    it: nano_cpus, mem_limit)."""
    start = _start(target, image, [files] if files else [], environment=dict(environment), user=user, command=command,
                   ports={f"{container_port}/tcp": (engine_endpoint().publish_ip, None)}, **_attach(network, aliases),
                   **dict(limits or {}))
    with _labelled(target, start) as container:
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"].get(f"{container_port}/tcp") or []
        if not bindings:
            raise SmokeFailed(f"{target}: container exited at boot", logs(container))
        yield container, int(bindings[0]["HostPort"])


def run_once(image: str, target: str, command: list[str], *, environment: Mapping[str, str],
             user: str | None = None, timeout: float = 300, network: str | None = None,
             files: bytes | None = None, hosts: Mapping[str, str] | None = None) -> tuple[int | None, str]:
    """Run a one-off labelled container to its end: (exit code, or None on timeout; its log tail).

    `files`: a tar unpacked at / before it starts. `hosts`: names its /etc/hosts maps
    to addresses. The container, and every file it wrote, is removed afterwards.
    """
    code, log, _ = run_collecting(image, target, command, environment=environment, user=user, timeout=timeout,
                                  network=network, files=files, hosts=hosts)
    return code, log


def run_collecting(image: str, target: str, command: list[str], *, environment: Mapping[str, str],
                   user: str | None = None, timeout: float = 300, network: str | None = None,
                   files: bytes | None = None, hosts: Mapping[str, str] | None = None,
                   collect: str | None = None) -> tuple[int | None, str, bytes]:
    """run_once(), and then, when it exited 0, the folder `collect` as the engine's tar of it
    (names start with the folder's own name), before the container is removed."""
    if network == NO_NETWORK:  # Docker writes it no /etc/hosts: this is the one it would write, plus `hosts`
        tars, options = [hosts_file(hosts or {}), *([files] if files else [])], _attach(network)
    else:
        tars, options = [files] if files else [], {**_attach(network), **({"extra_hosts": dict(hosts)} if hosts else {})}
    start = _start(target, image, tars, command=command, environment=dict(environment), user=user, **options)
    with _labelled(target, start) as container:
        try:
            code = exit_status(container, timeout)
        except docker.errors.APIError as exc:
            raise SmokeFailed(f"{target}: {image} could not be waited for: {exc.explanation or exc}") from None
        if code is None:
            return None, logs(container), b""
        if collect is None or code != 0:
            return code, logs(container), b""
        try:
            stream, _ = container.get_archive(collect)
            collected = b"".join(stream)
        except docker.errors.APIError as exc:
            raise SmokeFailed(f"{target}: could not copy {collect} out of {image}: {exc.explanation or exc}") from None
        return code, logs(container), collected


def exit_status(container: Container, timeout: float) -> int | None:
    """The container's exit status once it stops, or None while it still runs after `timeout` s.
    The SDK reports that timeout as requests' ConnectionError ("Read timed out") on the engine's
    socket, not as ReadTimeout: caught as that alone, the Hosting lint's 60 s limit surfaced as
    "a check did not finish: UnixHTTPConnectionPool(...): Read timed out." (zou)."""
    try:
        return int(container.wait(timeout=timeout).get("StatusCode", -1))
    except requests.exceptions.ReadTimeout:
        return None
    except requests.exceptions.ConnectionError as exc:
        if "timed out" in str(exc):
            return None
        raise


def hosts_file(hosts: Mapping[str, str]) -> bytes:
    """A tar of /etc/hosts: loopback's names, as Docker writes them, then `hosts`."""
    text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    text += "".join(f"{address}\t{name}\n" for name, address in hosts.items())
    return bytes_tar({"/etc/hosts": text.encode()})


def reachable_at(container: Container) -> tuple[str, str]:
    """(network, address) where another container reaches this one: the default
    bridge, or the network of its own that a smoke run with services put it on."""
    container.reload()
    for name, net in sorted(container.attrs["NetworkSettings"].get("Networks", {}).items()):
        if net.get("IPAddress"):
            return name, str(net["IPAddress"])
    raise SmokeFailed(f"{container.name}: has no address on any network")


@contextmanager
def network(target: str) -> Iterator[str]:
    """A labelled bridge network of this run's own; always removed, with anything
    we left attached to it disconnected first."""
    name = f"flaskship-{SESSION}-{uuid.uuid4().hex[:8]}"
    try:
        created = client().networks.create(name, driver="bridge", labels=labels(target))
    except docker.errors.APIError as exc:
        raise SmokeFailed(f"{target}: could not create network {name}: {exc.explanation or exc}") from None
    try:
        yield name
    finally:
        try:
            created.reload()
            for container in created.containers:
                created.disconnect(container, force=True)
            created.remove()
        except docker.errors.NotFound:
            pass


def logs(container: Container, tail: int | str = TAIL_LINES) -> str:
    """The container's log: its last `tail` lines (with the first traceback, when
    that scrolled out of them), or "all" of it."""
    try:
        if tail == "all":
            return container.logs().decode("utf-8", "replace")
        return with_cause(container.logs(tail=CAUSE_LINES).decode("utf-8", "replace"), int(tail))
    except docker.errors.DockerException:
        return "(logs unavailable)"


def remove(container: Container) -> None:
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass


def is_running(container: Container) -> bool:
    try:
        container.reload()
    except docker.errors.NotFound:
        return False
    return container.status in ("created", "running")


def gunicorn_workers(container: Container) -> int:
    """How many gunicorn workers run in `container` now (its gunicorn processes, minus the
    master); raises docker's APIError when the engine cannot list them."""
    processes = container.top(ps_args="-eo pid,args")["Processes"] or []
    return sum(1 for row in processes if "gunicorn" in row[-1]) - 1


def timed_stop(container: Container, grace: int) -> float:
    """`docker stop` (SIGTERM, SIGKILL after `grace` s); return seconds taken."""
    started = time.monotonic()
    container.stop(timeout=grace)
    return time.monotonic() - started

