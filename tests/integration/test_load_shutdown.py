"""Load and graceful shutdown, per target, on loopback only, bounded.

Each target runs as its platform runs it (the built images of the shared
`built` project; compose through its own docker-compose.yml and nginx):
- concurrent GETs and 1 MB POSTs: no 5xx, every request answered; on compose a
  body over client_max_body_size gets nginx's 413;
- SIGTERM with a slow request in flight (/api/slow): the request completes,
  and the process exits within the platform's grace.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
import requests

from targets.build import code
from targets.engine import docker_client
from targets.kinds.compose import cli as compose_cli
from targets.records import BuildRecord
from tests.helpers import SESSION, free_port, record

pytestmark = pytest.mark.docker
ENV = {"APP_ENV": "development", "GREETING": "load"}
MEGABYTE = os.urandom(1 << 20)
SLOW_MS = 3000


def _until_up(base: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"{base} did not come up"
        time.sleep(0.2)


@contextmanager
def _container(image: str, target: str, env: dict[str, str], port: int,
               user: str | None = None, files: bytes | None = None) -> Iterator[tuple[str, docker_client.Container]]:
    with docker_client.running(image, target, environment={**ENV, **env}, container_port=port,
                               user=user, files=files) as (container, host_port):
        base = f"http://127.0.0.1:{host_port}"
        _until_up(base)
        yield base, container


@contextmanager
def _compose(root: Path) -> Iterator[tuple[str, docker_client.Container]]:
    project = f"flaskship-load-{SESSION}-{uuid.uuid4().hex[:6]}".lower()
    files = [root / "build/compose/docker-compose.yml"]
    port = free_port()
    env = {**os.environ, **ENV, "SECRET_KEY": "x", "FLASKSHIP_PUBLISH": str(port)}
    try:
        compose_cli.run(project, files, ["up", "-d"], env, "compose")
        base = f"http://127.0.0.1:{port}"
        _until_up(base)
        (web,) = docker.from_env().containers.list(filters={"label": [f"com.docker.compose.project={project}",
                                                                       "com.docker.compose.service=web"]})
        yield base, web
    finally:
        compose_cli.run(project, files, ["down", "-v", "--remove-orphans", "--timeout", "3"], env, "compose")




@contextmanager
def _running(root: Path, target: str) -> Iterator[tuple[str, docker_client.Container]]:
    images = record(root, target)["images"]
    if target == "compose":
        with _compose(root) as running:
            yield running
    elif target == "heroku":
        port, uid = random.randint(20000, 40000), random.randint(20000, 60000)
        with _container(images["app"]["id"], target, {"PORT": str(port), "WEB_CONCURRENCY": "3"}, port,
                        user=f"{uid}:{uid}") as running:
            yield running
    else:
        role = "runner" if target == "functions" else "app"
        # The runner gets the zip's files at start, as smoke gives them (build/code.py).
        files = code.for_container(root / "build", BuildRecord.load(root / "build", target), role)
        with _container(images[role]["id"], target, {"PORT": "8080"}, 8080, files=files) as running:
            yield running


GRACE = {"cloudrun": 10, "functions": 10, "heroku": 30, "compose": 10}


@pytest.mark.parametrize("target", sorted(GRACE))
def test_load_then_sigterm_with_a_request_in_flight(built: Path, target: str) -> None:
    with _running(built, target) as (base, container):
        def get(path: str) -> int:
            return requests.get(base + path, timeout=30).status_code

        def post(body: bytes) -> int:
            response = requests.post(base + "/api/echo", data=body, timeout=60,
                                     headers={"Content-Type": "application/octet-stream"})
            assert response.status_code != 200 or response.json()["length"] == len(body)  # all of it arrived
            return response.status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            gets = list(pool.map(get, ["/", "/healthz", "/api/greeting", "/static/style.css"] * 16))
            posts = list(pool.map(post, [MEGABYTE] * 8))
        assert [s for s in gets + posts if s >= 500] == [], (gets, posts)
        assert set(posts) == {200}, posts
        if target == "compose":
            assert post(os.urandom(11 << 20)) == 413  # over client_max_body_size (10m), refused by nginx

        answer: dict[str, object] = {}

        def slow() -> None:
            try:
                response = requests.get(f"{base}/api/slow?ms={SLOW_MS}", timeout=60)
                answer.update(status=response.status_code, body=response.json())
            except requests.RequestException as exc:
                answer["error"] = repr(exc)

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.7)  # the request is in the app now
        started = time.monotonic()
        container.stop(timeout=GRACE[target])  # SIGTERM, then SIGKILL after the platform's grace
        took = time.monotonic() - started
        thread.join(timeout=60)
        assert answer == {"status": 200, "body": {"slept_ms": SLOW_MS}}, answer
        assert took < GRACE[target], f"{target} took {took:.1f} s to stop, its grace is {GRACE[target]} s"
