"""kind: heroku -- a container image for Heroku's container runtime, plus heroku.yml.

Contract (devcenter: container-registry-and-runtime, dyno-shutdown-behavior):
bind the random $PORT within 60 s, run as whatever non-root uid the dyno
gets, take the worker count from WEB_CONCURRENCY, SIGTERM then SIGKILL after
30 s. EXPOSE, HEALTHCHECK, VOLUME and STOPSIGNAL are ignored, so the image
relies on none of them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Literal

import docker.errors
from pydantic import StringConstraints

from .. import docker_ops
from ..fields import ServiceId
from ..kindbase import RegistryAuth, TargetSettings

if TYPE_CHECKING:
    from ..buildjob import BuildJob
    from ..record import BuildRecord
    from ..smokerun import SmokeRun

BOOT_LIMIT = 60  # R10: a web dyno must bind $PORT within 60 s
STOP_GRACE = 30  # SIGKILL 30 s after SIGTERM
WORKERS = 3
WORKER_DEADLINE = 10


class HerokuSettings(TargetSettings):
    kind: Literal["heroku"]
    app: ServiceId  # the Heroku app name: registry.heroku.com/<app>/web
    api: Annotated[str, StringConstraints(pattern=r"^https?://[A-Za-z0-9.:\[\]-]+$")] = "https://api.heroku.com"

    def repository(self) -> str:
        return self.registry or f"registry.heroku.com/{self.app}/web"

    def credentials(self) -> RegistryAuth:
        # Heroku's registry: user "_", the API key as password.
        return self.auth or RegistryAuth(username="_", password_env="HEROKU_API_KEY")


class Heroku:
    name = "heroku"
    settings = HerokuSettings
    templates = ("heroku/Dockerfile.j2", "heroku/heroku.yml.j2")
    differences: Mapping[str, str] = {}

    def build(self, job: BuildJob) -> None:
        job.python_image(job.staging, "heroku/Dockerfile.j2", graceful_timeout=STOP_GRACE - 5)
        job.write("heroku.yml", "heroku/heroku.yml.j2")

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        # As a dyno runs it: a random PORT, an arbitrary non-root uid:gid,
        # and WEB_CONCURRENCY set by the platform.
        rng = random.SystemRandom()
        port = rng.randint(20000, 40000)
        uid = rng.randint(20000, 60000)
        env = {"PORT": str(port), "WEB_CONCURRENCY": str(WORKERS)}
        run.serve(record, record.image(), variant=f"PORT={port} uid={uid}", env=env, container_port=port,
                  user=f"{uid}:{uid}", boot_within=BOOT_LIMIT, stop_within=STOP_GRACE, stop_grace=STOP_GRACE,
                  extra=self._workers)

    def _workers(self, run: SmokeRun, target: str, variant: str, container: docker_ops.Container) -> None:
        # Health answers once the first worker is up; give the rest a deadline.
        deadline = time.monotonic() + WORKER_DEADLINE
        workers = -1
        while time.monotonic() < deadline:
            try:
                processes = container.top(ps_args="-eo pid,args")["Processes"] or []
            except docker.errors.APIError as exc:
                run.record(target, variant, "web-concurrency", False, f"{WORKERS} workers", str(exc))
                return
            workers = sum(1 for row in processes if "gunicorn" in row[-1]) - 1  # minus the master
            if workers == WORKERS:
                break
            time.sleep(0.1)
        run.record(target, variant, "web-concurrency", workers == WORKERS,
                   f"{WORKERS} workers from WEB_CONCURRENCY within {WORKER_DEADLINE} s", f"{workers} workers")


KIND = Heroku()
