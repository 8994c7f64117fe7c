"""kind: cloudrun -- a Cloud Run image, with Firebase Hosting in front.

Contract (cloud.google.com/run/docs/container-contract): listen on
0.0.0.0:$PORT (default 8080), SIGTERM then SIGKILL after 10 s. Hosting serves
the static files from public/ and rewrites everything else to the service.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from ..fields import Region, ServiceId
from ..kindbase import TargetSettings

if TYPE_CHECKING:
    from ..buildjob import BuildJob
    from ..record import BuildRecord
    from ..smokerun import SmokeRun

# Cloud Run sends SIGKILL 10 s after SIGTERM; gunicorn must finish first.
STOP_GRACE = 10
GRACEFUL_TIMEOUT = 8


class CloudRunSettings(TargetSettings):
    kind: Literal["cloudrun"]
    service_id: ServiceId
    region: Region


class CloudRun:
    name = "cloudrun"
    settings = CloudRunSettings
    templates = ("cloudrun/Dockerfile.j2", "cloudrun/firebase.json.j2")
    differences: Mapping[str, str] = {}

    def build(self, job: BuildJob) -> None:
        settings = job.settings
        assert isinstance(settings, CloudRunSettings)
        job.python_image(job.staging, "cloudrun/Dockerfile.j2", graceful_timeout=GRACEFUL_TIMEOUT)
        job.write("firebase.json", "cloudrun/firebase.json.j2", settings=settings, app=job.app,
                  static_cache_control=job.defaults.static_cache_control)
        if job.app.static is not None:
            # Hosting serves exact static files before any rewrite reaches Cloud Run.
            static = job.project.root / job.app.source / job.app.static
            shutil.copytree(static, job.staging / "public" / job.app.static_url.strip("/"))

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        image = record.image()
        # Once as Cloud Run runs it by default (PORT=8080 from the image), once
        # with an injected non-default PORT, as the platform may do.
        run.serve(record, image, variant="PORT unset", env={}, container_port=8080)
        run.serve(record, image, variant="PORT=9090", env={"PORT": "9090"}, container_port=9090,
                  stop_within=STOP_GRACE, stop_grace=STOP_GRACE)


KIND = CloudRun()
