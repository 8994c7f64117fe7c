"""heroku: render, build, smoke, publish, release and deploy (see __init__.py for the contract)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import docker.errors
from docker.models.containers import Container

from ...engine import docker_client
from ...engine.registry_http import DOCKER_V2
from ...build.job import Server
from ..base import TargetSettings
from ..container import ContainerKind, shell
from . import platform_api
from .settings import HerokuSettings

if TYPE_CHECKING:
    from ...build.job import BuildJob
    from ...publish.steps import Deploy, PublishContext, Step
    from ...records import BuildRecord
    from ...smoke.session import SmokeRun

BOOT_LIMIT = 60  # R10: a web dyno must bind $PORT within 60 s
STOP_GRACE = 30  # SIGKILL 30 s after SIGTERM
WORKER_DEADLINE = 10
LIMITS = {"mem_limit": "512m"}  # a standard-1X dyno
# Sync workers: WEB_CONCURRENCY, else 2, what Heroku's Python buildpack sets on the
# Standard-1X dyno smoke runs this as (devcenter.heroku.com/articles/python-concurrency).
# A container deploy gets no buildpack, so the image carries that default itself.
# The CPU count is the host's, not the dyno's share of it: 2 x CPUs + 1 gave five
# workers here, which served 28% fewer requests/s than one (invoke bench).
# The router gives a request 30 s.
WORKERS = 2
SERVER = Server("Heroku", workers=str(WORKERS), workers_why=f"{WORKERS}, Heroku's own default on a Standard-1X dyno", threads=1,
                timeout=30, grace=STOP_GRACE, graceful_timeout=STOP_GRACE - 5)


class Heroku(ContainerKind):
    name = "heroku"
    templates = ("heroku/Dockerfile.j2", "heroku/heroku.yml.j2")
    differences: Mapping[str, str] = {}
    media_types = (DOCKER_V2,)

    def render(self, job: BuildJob) -> None:
        # heroku.yml names image/Dockerfile; that folder is the build context.
        job.python_context(job.staging / "image", "heroku/Dockerfile.j2", server=SERVER)
        job.write("heroku.yml", "heroku/heroku.yml.j2", release=job.app.release)

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        # As a dyno of a container deploy runs it: a random PORT and an arbitrary non-root
        # uid:gid. No WEB_CONCURRENCY: Heroku's Python buildpack sets it at dyno boot, and a
        # container deploy has no buildpack (an app that reads it itself, as flask-todolist
        # does, saw a value the platform never gives it). A config var of the manifest's is
        # passed like any other, and the image's default stands otherwise.
        rng = random.SystemRandom()
        port = rng.randint(20000, 40000)
        uid = rng.randint(20000, 60000)
        # Services as Heroku's add-ons set them: DATABASE_URL (postgres://...), REDIS_URL;
        # the manifest's other variables as config vars. The release dyno gets them too.
        services = run.service_env(record.target, heroku=True)
        env = {"PORT": str(port), **services}
        # The release phase: a one-off dyno of the web image before the new
        # release goes live; a non-zero exit stops the release, its files are discarded.
        if not run.release(record, record.image(), user=f"{uid}:{uid}", env=services):
            return
        configured = {**run.env, **env}.get("WEB_CONCURRENCY", "")  # what the container gets (run.serve)
        wanted = (int(configured), "WEB_CONCURRENCY") if configured.isdigit() else (WORKERS, "the image's default")
        run.serve(record, record.image(), variant=f"PORT={port} uid={uid}", env=env, container_port=port,
                  user=f"{uid}:{uid}", boot_within=BOOT_LIMIT, stop_within=STOP_GRACE, stop_grace=STOP_GRACE,
                  extra=lambda *args: self._workers(*args, wanted=wanted), limits=LIMITS)

    def _workers(self, run: SmokeRun, target: str, variant: str, container: Container, wanted: tuple[int, str]) -> None:
        # Health answers once the first worker is up; give the rest a deadline.
        count, source = wanted
        deadline = time.monotonic() + WORKER_DEADLINE
        workers = -1
        while time.monotonic() < deadline:
            try:
                workers = docker_client.gunicorn_workers(container)
            except docker.errors.APIError as exc:
                run.record(target, variant, "web-concurrency", False, f"{count} workers", str(exc))
                return
            if workers == count:
                break
            time.sleep(0.1)
        run.record(target, variant, "web-concurrency", workers == count,
                   f"{count} workers from {source} within {WORKER_DEADLINE} s", f"{workers} workers")

    def publish(self, step: Step, ctx: PublishContext) -> dict[str, Any]:
        result = super().publish(step, ctx)
        if ctx.release:
            settings = ctx.project.target(step.target)
            assert isinstance(settings, HerokuSettings)
            # The image id is the config digest the formation API wants.
            result["release"] = platform_api.release(settings.api, settings.app, step.what,
                                                     os.environ[step.variable], step.variable, step.target)
            ctx.progress(f"{step.target}: {result['release']}")
        return result

    def deploy_commands(self, name: str, settings: TargetSettings, entry: Mapping[str, Any],
                        deploy: Deploy) -> list[str]:
        assert isinstance(settings, HerokuSettings)
        if "release" in entry:
            return []
        return [shell("heroku", "container:release", "web", "--app", settings.app) + "  # or: invoke publish --release"]


KIND = Heroku()
