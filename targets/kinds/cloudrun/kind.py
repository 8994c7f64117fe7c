"""cloudrun: render, build, smoke, publish and deploy (see __init__.py for the contract)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...build.job import Server
from ..base import TargetSettings
from ..container import ContainerKind, gcloud_env_flag, gcloud_list, shell
from . import hosting
from .edge.checks import VARIANT as EDGE_VARIANT
from .edge.checks import through_edge
from .settings import CloudRunSettings

if TYPE_CHECKING:
    from docker.models.containers import Container

    from ...build.job import BuildJob
    from ...publish.steps import Deploy
    from ...records import BuildRecord
    from ...smoke.session import SmokeRun

# Cloud Run sends SIGKILL 10 s after SIGTERM; gunicorn must finish first.
STOP_GRACE = 10
# Cloud Run's default startup probe (TCP, timeoutSeconds 240, periodSeconds 240,
# failureThreshold 1: cloud.google.com/run/docs/configuring/healthchecks). Smoke waits
# 30 s by default; smoke.boot_within may raise that up to this.
BOOT_LIMIT = 240
# Google's sample runs one worker per vCPU with eight threads and no worker timeout
# (Cloud Run enforces the request timeout itself). Measured under Cloud Run's 1 vCPU
# and 512 MiB (6 interleaved rounds of 5000 requests, 16 at a time), a second worker
# per vCPU served 27% more: 2821 requests/s against 2214, its first 200 as soon
# (0.37 s either way). Threads stay at eight per worker, for Cloud Run's concurrent
# requests; WEB_CONCURRENCY=1 gives Google's shape back to an app too big for two.
# A service's default shape: 1 vCPU, 512 MiB. Smoke runs it so (gunicorn then sizes itself as there).
LIMITS = {"nano_cpus": 1_000_000_000, "mem_limit": "512m"}
SERVER = Server("Cloud Run", workers="2 * _cpus()", workers_why="two per vCPU, measured under Cloud Run's 1 vCPU",
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
        hosting.render(job, settings)

    def build(self, job: BuildJob) -> None:
        settings = job.settings
        assert isinstance(settings, CloudRunSettings)
        hosting.check(job, settings)  # its probe starts during the image build
        super().build(job)

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        image = record.image()
        # Services through the variables the manifest names, as `--set-secrets` would set them.
        services = run.service_env(record.target)
        # app.release as a Cloud Run job runs it before the service: once, its files discarded.
        if not run.release(record, image, env=services):
            return
        settings = run.project.target(record.target)
        assert isinstance(settings, CloudRunSettings)
        firebase_json = run.project.build_dir / record.target / "firebase.json"
        suite = run.suite
        # In the split layout the static files are not in the image: only Hosting
        # serves them, so only the edge is asked for them.
        direct = replace(suite, static_url=None) if run.project.manifest.app.static_outside_source else suite

        def behind_hosting(twin: SmokeRun, target: str, variant: str, container: Container) -> None:
            # Firebase Hosting in front of a container of its own, so that checks
            # which write to the services start from the same state as the others.
            twin.suite = suite
            try:
                through_edge(twin, target, container, settings.port, firebase_json, settings.service_id)
            finally:
                twin.suite = direct

        # As Cloud Run runs it by default (PORT from the image: targets.X.port, 8080 unless
        # set, which the deploy command names as the service's port), behind the
        # Hosting edge, and with an injected non-default PORT, as the platform may do.
        variants = (
            lambda twin: twin.serve(record, image, variant="PORT unset", env=services, container_port=settings.port,
                                    boot_limit=BOOT_LIMIT, limits=LIMITS),
            lambda twin: twin.serve(record, image, variant=EDGE_VARIANT, env=services, container_port=settings.port,
                                    extra=behind_hosting, direct=False, boot_limit=BOOT_LIMIT, limits=LIMITS),
            lambda twin: twin.serve(record, image, variant="PORT=9090", env={"PORT": "9090", **services},
                                    container_port=9090, stop_within=STOP_GRACE, stop_grace=STOP_GRACE,
                                    boot_limit=BOOT_LIMIT, limits=LIMITS),
        )
        run.suite = direct
        try:
            if services:
                # One set of services for all three: one after another, each from the release's snapshot.
                for variant in variants:
                    variant(run)
            else:
                run.side_by_side(*variants)  # three containers at once
        finally:
            run.suite = suite

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
                  "--region", settings.region,
                  # Cloud Run injects PORT=8080 unless told the container's port.
                  *(["--port", str(settings.port)] if settings.port != 8080 else []), *gcloud_env_flag(deploy.env)),
            f"(cd {shell(f'build/{name}')} && firebase deploy --only hosting)",
        ]


KIND = CloudRun()
