"""compose: render, build, smoke, publish and deploy (see __init__.py)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...build.job import APP_UID, Server
from ...errors import BuildFailed, RecordError
from ...records import BuildRecord, folder_hash
from ...services.compose import services as compose_services
from ..base import TargetSettings
from ..container import ContainerKind, shell
from . import nginx_check
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
        return job.image_context(context, "nginx", job.defaults.nginx_image)

    def build(self, job: BuildJob) -> None:
        # Each check runs only on what was not checked before: an nginx image with other
        # inputs than the last good build's, a compose file of a new shape.
        previous = _last_good(job)
        compose_file = job.staging / "docker-compose.yml"
        # An app edit changes only the image tags in the file: its verdict is kept by the
        # file's shape (tags masked), so the schema check runs once per shape, not per edit.
        shape = compose_file.read_text() + importlib.metadata.version("check-jsonschema")
        for spec in job.images:
            shape = shape.replace(spec.tag, "IMAGE")
        passed = job.project.build_dir / ".cache" / f"compose-schema-{hashlib.sha256(shape.encode()).hexdigest()[:24]}"
        # The schema check is a process of its own (about 1 s): it runs while the images build.
        schema = None if passed.exists() else start_compose_validation(compose_file)
        try:
            # So does `nginx -t` (nginx_check.py); leaving this block waits for it.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"flaskship-{job.name}-nginx") as pool:
                nginx = nginx_check.start(pool, job, previous)
                super().build(job)
                if nginx is not None:
                    nginx.result()
        finally:
            if schema is not None and schema.poll() is None and sys.exc_info()[0] is not None:
                schema.kill()
            out, err = schema.communicate() if schema is not None else ("", "")
        if schema is not None and schema.returncode != 0:
            raise BuildFailed(f"{job.name}: docker-compose.yml does not validate against the compose spec",
                              (out + err).strip())
        if schema is not None:
            passed.parent.mkdir(parents=True, exist_ok=True)
            passed.touch()

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


def start_compose_validation(path: Path) -> subprocess.Popen[str]:
    """Check against the compose spec's JSON Schema (vendored by check-jsonschema), in the background."""
    return subprocess.Popen(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


KIND = Compose()
