"""cloudrun: render, build, smoke, publish and deploy (see __init__.py for the contract)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...build.job import Server
from ..base import TargetSettings
from ..container import ContainerKind, gcloud_env_flag, gcloud_list, shell
from .settings import CloudRunSettings

if TYPE_CHECKING:
    from ...build.job import BuildJob
    from ...publish.steps import Deploy
    from ...records import BuildRecord
    from ...smoke.session import SmokeRun

# Cloud Run sends SIGKILL 10 s after SIGTERM; gunicorn must finish first.
STOP_GRACE = 10
# Google's sample and its guidance for 1 vCPU: one worker (one per vCPU), eight
# threads, no worker timeout (Cloud Run enforces the request timeout itself).
# A service's default shape: 1 vCPU, 512 MiB. Smoke runs it so (gunicorn then sizes itself as there).
LIMITS = {"nano_cpus": 1_000_000_000, "mem_limit": "512m"}
SERVER = Server("Cloud Run", workers="_cpus()", workers_why="one per vCPU, as Google's Cloud Run sample runs",
                threads=8, timeout=0, grace=STOP_GRACE, graceful_timeout=STOP_GRACE - 2)


class CloudRun(ContainerKind):
    name = "cloudrun"
    templates = ("cloudrun/Dockerfile.j2", "cloudrun/firebase.json.j2")
    differences: Mapping[str, str] = {}

    def render(self, job: BuildJob) -> None:
        settings = job.settings
        assert isinstance(settings, CloudRunSettings)
        # The image context holds only the image's files; firebase.json and
        # public/ sit beside it, for `firebase deploy`.
        job.python_context(job.staging / "image", "cloudrun/Dockerfile.j2", server=SERVER)
        job.write("firebase.json", "cloudrun/firebase.json.j2", settings=settings, app=job.app,
                  static_cache_control=job.defaults.static_cache_control)
        if job.app.static is not None:
            # Hosting serves exact static files before any rewrite reaches Cloud Run.
            static = job.project.app_dir / job.app.static
            shutil.copytree(static, job.staging / "public" / job.app.static_url.strip("/"))

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        image = record.image()
        # app.release as a Cloud Run job runs it before the service: once, its files discarded.
        if not run.release(record, image):
            return
        # Once as Cloud Run runs it by default (PORT=8080 from the image), once
        # with an injected non-default PORT, as the platform may do: two containers at once.
        run.side_by_side(
            lambda twin: twin.serve(record, image, variant="PORT unset", env={}, container_port=8080, limits=LIMITS),
            lambda twin: twin.serve(record, image, variant="PORT=9090", env={"PORT": "9090"}, container_port=9090,
                                    stop_within=STOP_GRACE, stop_grace=STOP_GRACE, limits=LIMITS))

    def deploy_commands(self, name: str, settings: TargetSettings, entry: Mapping[str, Any],
                        deploy: Deploy) -> list[str]:
        assert isinstance(settings, CloudRunSettings)
        release = []
        if deploy.release:
            # app.release as a Cloud Run job of the same image, executed (and
            # waited for) before the service gets the new revision.
            job = f"{settings.service_id}-release"
            release = [shell("gcloud", "run", "jobs", "deploy", job, "--image", entry["image"], "--region",
                             settings.region, "--command", "/bin/sh", "--args", gcloud_list(["-c", deploy.release]),
                             *gcloud_env_flag(deploy.env)),
                       shell("gcloud", "run", "jobs", "execute", job, "--region", settings.region, "--wait")]
        return [
            *release,
            shell("gcloud", "run", "deploy", settings.service_id, "--image", entry["image"],
                  "--region", settings.region, *gcloud_env_flag(deploy.env)),
            f"(cd {shell(f'build/{name}')} && firebase deploy --only hosting)",
        ]


KIND = CloudRun()
