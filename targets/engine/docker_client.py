"""The boundary to the Docker engine (docker SDK for Python).

docker-py errors never leave this module: they become DaemonUnreachable,
BuildFailed or SmokeFailed with a one-line message and a log tail. Everything
started here carries the labels in `labels()` and is removed in `finally`;
nothing without our session label is ever touched.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import docker
import docker.errors
import requests
from docker.models.containers import Container

__all__ = ["Container"]

from ..errors import BuildFailed, DaemonUnreachable, SmokeFailed
from ..ui.lines import Detail

LABEL = "io.flaskship"
# One id per run, on every container it starts; a caller (the tests) may set it
# to find exactly what one run started.
SESSION = os.environ.get("FLASKSHIP_SESSION") or uuid.uuid4().hex[:12]
TAIL_LINES = 30


def labels(target: str, **extra: str) -> dict[str, str]:
    return {f"{LABEL}.managed": "true", f"{LABEL}.session": SESSION, f"{LABEL}.target": target, **extra}


def image_labels(target: str) -> dict[str, str]:
    """An image's labels: no session, so the same inputs make the same image in every run.
    (Few: the classic builder adds one step, one commit, per label.)"""
    return {f"{LABEL}.target": target}


_local = threading.local()


def client() -> docker.DockerClient:
    """This thread's engine client. One per thread: docker-py's client is a
    requests.Session, which is not thread-safe (docker-py #3229), and targets
    build and smoke on threads of their own (--jobs)."""
    engine: docker.DockerClient | None = getattr(_local, "engine", None)
    if engine is None:
        engine = _local.engine = _connect()
    return engine


def _connect() -> docker.DockerClient:
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        engine = docker.from_env(timeout=120)
        engine.ping()
    except docker.errors.DockerException as exc:
        reason = str(exc).split("(")[0].strip().rstrip(":")
        raise DaemonUnreachable(
            f"Docker daemon not reachable at {where} ({reason}); start it with bin/setup "
            "(or `dockerd &` as root) and check `docker info`"
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
    limits: Mapping[str, object] | None = None,
) -> Iterator[tuple[Container, int]]:
    """Run a labelled container with `container_port` published on a free loopback port.

    `limits`: the platform's shape, as docker-py takes it (nano_cpus, mem_limit)."""
    start = _start(target, image, environment=dict(environment), user=user,
                   ports={f"{container_port}/tcp": ("127.0.0.1", None)}, **dict(limits or {}))
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

