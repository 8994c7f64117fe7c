"""How `invoke up` runs each kind: as smoke does, but once, on a port to keep."""

from __future__ import annotations

import random
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..build import code
from ..engine import docker_client
from ..errors import SmokeFailed
from ..kinds.compose import cli as compose_cli
from ..kinds.compose.stack import compose_environment, compose_files, free_port
from ..smoke.session import wait_http
from .up_session import Layer, Session

BOOT_WITHIN = 90.0


def _release(run: Session, image: str, user: str | None = None, files: bytes | None = None) -> None:
    """app.release, as the platform's release phase runs it: once, before serving."""
    command = run.project.manifest.app.release
    if command is None:
        return
    run.progress(f"{run.name}: release: {command}")
    code, log = docker_client.run_once(image, run.name, ["/bin/sh", "-c", command], environment=run.env, user=user,
                                       network=run.network, files=files)
    if code != 0:
        raise SmokeFailed(f"{run.name}: app.release exited {code}; not starting", log)


def _container(image_role: str, port_env: str | None, user: bool = False) -> Layer:
    @contextmanager
    def start(run: Session) -> Iterator[None]:
        image = run.record.image(image_role)
        files = code.for_container(run.project.build_dir, run.record, image_role)  # the functions runner's
        port = random.SystemRandom().randint(20000, 40000) if port_env == "random" else 8080
        uid = random.SystemRandom().randint(20000, 60000) if user else None
        as_user = f"{uid}:{uid}" if uid else None
        _release(run, image, as_user, files)
        env = {**run.env, "PORT": str(port)}
        with docker_client.running(image, run.name, environment=env, container_port=port, user=as_user,
                                   network=run.network, files=files) as (container, host_port):
            run.container, run.container_port = container, port
            run.url = f"http://{docker_client.engine_endpoint().reach_host}:{host_port}"
            wait_http(run.url + run.project.manifest.smoke.health, BOOT_WITHIN, container, run.name)

            def follow() -> Iterator[str]:
                for chunk in container.logs(stream=True, follow=True):
                    yield chunk.decode("utf-8", "replace").rstrip("\n")
            run.follow = follow
            yield
    return start


@contextmanager
def _compose(run: Session) -> Iterator[None]:
    settings = run.settings
    host = str(getattr(settings, "publish_host", "127.0.0.1"))
    port = free_port(host)
    project = f"flaskship-{run.name}-up-{uuid.uuid4().hex[:6]}".lower()
    env = {**compose_environment(run.project, run.env, port), **run.compose_env}
    with tempfile.TemporaryDirectory(prefix="flaskship-up-") as tmp:
        files = compose_files(run.project.build_dir / run.name, run.name, Path(tmp))
        try:
            compose_cli.run(project, files, ["up", "-d"], env, run.name)
            run.url = f"http://{host}:{port}"
            wait_http(run.url + run.project.manifest.smoke.health, BOOT_WITHIN, None, run.name)
            command = [*compose_cli.command(), "--project-name", project, *[a for f in files for a in ("--file", str(f))],
                       "logs", "--follow", "--no-color"]

            def follow() -> Iterator[str]:
                with subprocess.Popen(command, env=compose_cli.environment(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as logs:
                    assert logs.stdout is not None
                    try:
                        for line in logs.stdout:
                            yield line.rstrip("\n")
                    finally:
                        logs.terminate()
            run.follow = follow
            yield
        finally:
            compose_cli.run(project, files, ["down", "-v", "--remove-orphans"], env, run.name)


RUNNERS: dict[str, Layer] = {
    "cloudrun": _container("app", None),  # PORT=8080, as Cloud Run injects by default
    "heroku": _container("app", "random", user=True),  # a dyno: random PORT, random non-root uid
    "functions": _container("runner", None),  # functions-framework on PORT=8080
    "compose": _compose,
}
