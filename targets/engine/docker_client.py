"""The boundary to the Docker engine (docker SDK for Python).

docker-py errors never leave this module: they become DaemonUnreachable,
BuildFailed or SmokeFailed with a one-line message and a log tail. Everything
started here carries the labels in `labels()` and is removed in `finally`;
nothing without our session label is ever touched.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import docker
import docker.errors
import requests
import urllib3.exceptions
from docker.models.containers import Container

__all__ = ["Container"]

from ..errors import BuildFailed, DaemonUnreachable, SmokeFailed
from . import endpoint

LABEL = "io.flaskship"
# One id per run, on every container it starts; a caller (the tests) may set it
# to find exactly what one run started.
SESSION = os.environ.get("FLASKSHIP_SESSION") or uuid.uuid4().hex[:12]
TAIL_LINES = 30


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
            **project_labels(), **extra}


@lru_cache(maxsize=1)
def engine_endpoint() -> endpoint.Endpoint:
    return endpoint.current()


def endpoint_description() -> str:
    return engine_endpoint().describe()


def is_local() -> bool:
    return engine_endpoint().local


@lru_cache(maxsize=1)
def client() -> docker.DockerClient:
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
) -> str:
    """Build with the classic builder (docker-py has no BuildKit); return the image id."""
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
                if text.startswith("Step "):
                    progress(f"  {target}: {text}")
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


def image_size(image: str) -> int:
    return int(client().images.get(image).attrs["Size"])


def remove_image(ref: str) -> None:
    """Remove an image this tool built; one that is already gone is fine."""
    try:
        client().images.remove(ref, force=True)
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


def _start(target: str, image: str, **options: object) -> Callable[[dict[str, str]], Container]:
    def start(run_labels: dict[str, str]) -> Container:
        try:
            container: Container = client().containers.run(image, detach=True, labels=run_labels, **options)
        except docker.errors.APIError as exc:
            raise SmokeFailed(f"{target}: could not start {image}: {exc.explanation or exc}") from None
        return container
    return start


@contextmanager
def running(
    image: str,
    target: str,
    *,
    environment: Mapping[str, str],
    container_port: int,
    user: str | None = None,
) -> Iterator[tuple[Container, int]]:
    """Run a labelled container with `container_port` published on a free loopback port."""
    start = _start(target, image, environment=dict(environment), user=user,
                   ports={f"{container_port}/tcp": (engine_endpoint().publish_ip, None)})
    with _labelled(target, start) as container:
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"].get(f"{container_port}/tcp") or []
        if not bindings:
            raise SmokeFailed(f"{target}: container exited at boot", logs(container))
        yield container, int(bindings[0]["HostPort"])


def run_once(image: str, target: str, command: list[str], *, environment: Mapping[str, str],
             user: str | None = None, timeout: float = 300) -> tuple[int | None, str]:
    """Run a one-off labelled container to its end: (exit code, or None on timeout; its log tail).

    The container, and every file it wrote, is removed afterwards.
    """
    with _labelled(target, _start(target, image, command=command, environment=dict(environment), user=user)) as container:
        try:
            code = int(container.wait(timeout=timeout).get("StatusCode", -1))
        except requests.exceptions.ReadTimeout:
            return None, logs(container)
        except docker.errors.APIError as exc:
            raise SmokeFailed(f"{target}: {image} could not be waited for: {exc.explanation or exc}") from None
        return code, logs(container)


def logs(container: Container) -> str:
    try:
        return container.logs(tail=TAIL_LINES).decode("utf-8", "replace")
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


def timed_stop(container: Container, grace: int) -> float:
    """`docker stop` (SIGTERM, SIGKILL after `grace` s); return seconds taken."""
    started = time.monotonic()
    container.stop(timeout=grace)
    return time.monotonic() - started

