"""kind: compose -- the app image behind an nginx image, tied by docker-compose.yml.

nginx serves the static files and proxies everything else to gunicorn
(gunicorn deploy docs). Only nginx publishes a port; the app trusts exactly
one proxy hop here (ProxyFix) and nowhere else. Templates: nginx/, compose/.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import docker.errors
from pydantic import Field, StringConstraints

from .. import baseimages, docker_ops
from ..errors import BuildFailed
from ..fields import Port
from ..kindbase import TargetSettings
from .stack import smoke_stack

if TYPE_CHECKING:
    from ..buildjob import BuildJob
    from ..record import BuildRecord
    from ..smokerun import SmokeRun

Hostname = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9.-]{0,252}[a-z0-9])?$")]
IPv4 = Annotated[str, StringConstraints(pattern=r"^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$")]
Size = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,6}[km]?$")]


class ComposeSettings(TargetSettings):
    kind: Literal["compose"]
    publish: Port = 8000  # the host port nginx is published on
    publish_host: IPv4 = "127.0.0.1"
    server_names: tuple[Hostname, ...] = Field(default=("localhost", "127.0.0.1"), strict=False, min_length=1)
    client_max_body_size: Size = "10m"


class Compose:
    name = "compose"
    settings = ComposeSettings
    templates = ("compose/web.Dockerfile.j2", "compose/docker-compose.yml.j2", "compose/env.j2",
                 "nginx/nginx.conf.j2", "nginx/Dockerfile.j2")
    differences: Mapping[str, str] = {}

    def build(self, job: BuildJob) -> None:
        settings = job.settings
        assert isinstance(settings, ComposeSettings)
        web = job.python_image(job.staging / "web", "compose/web.Dockerfile.j2", role="app")
        nginx = self._nginx(job, settings)
        manifest = job.project.manifest
        secrets = sorted({name for env in manifest.environments.values() for name in env.secrets})
        compose_file = job.write("docker-compose.yml", "compose/docker-compose.yml.j2", web_image=web, nginx_image=nginx,
                                 settings=settings, publish=settings.publish, publish_host=settings.publish_host,
                                 web_port=settings.port, health=manifest.smoke.health, secrets=secrets,
                                 default_env=manifest.defaults.environment)
        for env_name, environment in sorted(manifest.environments.items()):
            job.write(f"env/{env_name}.env", "compose/env.j2", name=env_name, env=environment.env)
        validate_compose_file(job.name, compose_file)

    def _nginx(self, job: BuildJob, settings: ComposeSettings) -> str:
        context = job.staging / "nginx"
        app = job.app
        context.mkdir()
        if app.static is not None:
            shutil.copytree(job.project.root / app.source / app.static, context / "static")
        else:
            (context / "static").mkdir()
        job.write("nginx/nginx.conf", "nginx/nginx.conf.j2", client_max_body_size=settings.client_max_body_size,
                  web_port=settings.port, server_names=settings.server_names,
                  static_url=app.static_url.rstrip("/") if app.static else "",
                  static_cache_control=job.defaults.static_cache_control)
        base = baseimages.resolve(job.defaults.nginx_image, job.progress)
        job.write("nginx/Dockerfile", "nginx/Dockerfile.j2", base=base, uid="10001")
        tag = job.image(context, "nginx")
        check_nginx_config(job.name, tag)
        return tag

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        settings = run.project.target(record.target)
        assert isinstance(settings, ComposeSettings)
        smoke_stack(record, run, settings)


def check_nginx_config(target: str, image: str) -> None:
    """`nginx -t` in the built image; `web` resolves to loopback just for the test."""
    try:
        docker_ops.client().containers.run(
            image, ["nginx", "-t", "-e", "stderr", "-c", "/etc/flaskship/nginx.conf"],
            remove=True, stderr=True, extra_hosts={"web": "127.0.0.1"}, labels=docker_ops.labels(target),
        )
    except docker.errors.ContainerError as exc:
        output = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else str(exc.stderr)
        raise BuildFailed(f"{target}: generated nginx.conf fails `nginx -t`", output) from None


def validate_compose_file(target: str, path: Path) -> None:
    """Check against the compose spec's JSON Schema (vendored by check-jsonschema)."""
    result = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildFailed(f"{target}: docker-compose.yml does not validate against the compose spec",
                          (result.stdout + result.stderr).strip())


KIND = Compose()
