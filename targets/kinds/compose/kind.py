"""compose: render, build, smoke, publish and deploy (see __init__.py)."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ...build.job import APP_UID, Server
from ...errors import RecordError
from ...files import ship_modes
from ...records import BuildRecord, folder_hash
from ...services.compose import services as compose_services
from ..base import TargetSettings
from ..container import ContainerKind, shell
from . import nginx_check, schema_check
from .settings import ComposeSettings
from .stack import passed_names, smoke_stack

if TYPE_CHECKING:
    from ...build.job import BuildJob
    from ...publish.steps import Deploy
    from ...smoke.session import SmokeRun


# Sync workers behind nginx, which buffers slow clients; `docker compose stop`
# sends SIGKILL 10 s after SIGTERM.
SERVER = Server("compose behind nginx", workers="2 * _cpus() + 1", workers_why="gunicorn's 2 x CPUs + 1",
                threads=1, timeout=30, grace=10, graceful_timeout=8)


class Compose(ContainerKind):
    name = "compose"
    templates = ("compose/web.Dockerfile.j2", "compose/docker-compose.yml.j2", "compose/env.j2",
                 "nginx/nginx.conf.j2", "nginx/Dockerfile.j2")
    differences: Mapping[str, str] = {}

    def render(self, job: BuildJob) -> None:
        settings = job.settings
        assert isinstance(settings, ComposeSettings)
        web = job.python_context(job.staging / "web", "compose/web.Dockerfile.j2", role="app", server=SERVER)
        nginx = self._nginx(job, settings)
        manifest = job.project.manifest
        names = passed_names(job.project)
        job.write("docker-compose.yml", "compose/docker-compose.yml.j2", web_image=web, nginx_image=nginx,
                  settings=settings, publish=settings.publish, publish_host=settings.publish_host,
                  web_port=settings.port, health=manifest.smoke.health, names=names,
                  default_env=manifest.defaults.environment, release=job.app.release,
                  backing=compose_services(manifest.services_of(job.name)))
        for env_name, environment in sorted(manifest.environments.items()):
            exports = [(key, shlex.quote(value)) for key, value in sorted(environment.env.items())]
            others = [name for name in names if name not in environment.env and name not in environment.secrets]
            job.write(f"env/{env_name}.sh", "compose/env.j2", name=env_name, exports=exports, others=others)

    def _nginx(self, job: BuildJob, settings: ComposeSettings) -> str:
        context = job.staging / "nginx"
        app = job.app
        context.mkdir()
        shipped = job.staging / "web" / "src" / app.static if app.static is not None else None
        if shipped is not None and shipped.is_dir():
            # From the app as it ships (web/src), so what the app never ships (.env*,
            # *.pem, ignore files' patterns) is never served by nginx either.
            shutil.copytree(shipped, context / "static")
        else:
            (context / "static").mkdir()
        job.write("nginx/nginx.conf", "nginx/nginx.conf.j2", client_max_body_size=settings.client_max_body_size,
                  web_port=settings.port, server_names=settings.server_names,
                  static_url=app.static_url.rstrip("/") if app.static else "",
                  static_root=app.static is not None and app.static_url.rstrip("/") == "",
                  static_cache_control=job.defaults.static_cache_control)
        job.write("nginx/Dockerfile", "nginx/Dockerfile.j2", base=job.defaults.nginx_image, uid=APP_UID,
                  labels=job.labels("nginx"))
        ship_modes(context)  # nginx runs as APP_UID: its config and the static files readable by it
        return job.image_context(context, "nginx", job.defaults.nginx_image)

    def build(self, job: BuildJob) -> None:
        # Each check runs only on what was not checked before (an nginx image with other
        # inputs than the last good build's, a compose file of a new shape), and both run
        # while the images build; leaving the block waits for them.
        with schema_check.checked(job), \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"flaskship-{job.name}-nginx") as pool:
            nginx = nginx_check.start(pool, job, _last_good(job))
            super().build(job)
            if nginx is not None:
                nginx.result()

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        settings = run.project.target(record.target)
        assert isinstance(settings, ComposeSettings)
        smoke_stack(record, run, settings)

    def deploy_commands(self, name: str, settings: TargetSettings, entry: Mapping[str, Any],
                        deploy: Deploy) -> list[str]:
        return [f"{shell('docker', 'pull', entry['image'])} && {shell('docker', 'pull', entry['image_nginx'])}"]


def _last_good(job: BuildJob) -> BuildRecord | None:
    """The last good build of this target, if its folder is as that build left it:
    its docker-compose.yml passed the schema check and its nginx image `nginx -t`."""
    try:
        record = BuildRecord.load(job.project.build_dir, job.name)
    except RecordError:
        return None
    intact = record.inputs == folder_hash(job.project.build_dir / job.name) and "nginx" in record.images
    return record if intact else None


KIND = Compose()
