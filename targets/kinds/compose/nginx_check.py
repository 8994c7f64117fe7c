"""`nginx -t` on the generated nginx.conf, while the target's images build.

The check needs nginx and the config, not the static files: it runs in a
container of the nginx base, with nginx.conf where the image has it, as the
image's user, beside the image builds instead of after them (0.25 s off a cold
compose build). It runs when the nginx image's inputs (its key: the config, the
static files, the base) changed since the last good build, as the image is then
made again; targets of one config and base that build side by side share one run.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ...build.images import image_key
from ...build.job import APP_UID
from ...engine import base_images, docker_client
from ...errors import BuildFailed
from ...files import bytes_tar
from ...once import once
from ...ui.lines import Detail

if TYPE_CHECKING:
    from ...build.job import BuildJob
    from ...records import BuildRecord

CONF = "/etc/flaskship/nginx.conf"  # where nginx/Dockerfile.j2 puts it
TIMEOUT = 60


def start(pool: ThreadPoolExecutor, job: BuildJob, last_good: BuildRecord | None) -> Future[None] | None:
    """Start the check on `pool` unless the nginx image's key is the last good build's."""
    spec = next(spec for spec in job.images if spec.role == "nginx")
    base = base_images.resolve(spec.base, job.progress)
    if last_good is not None and last_good.images["nginx"].get("key") == image_key(spec, {"BASE_IMAGE": base}):
        return None
    job.progress(Detail(f"  {job.name}: checking nginx.conf with `nginx -t` in its base, {base}"))
    conf = spec.context / "nginx.conf"
    # Compose targets of one config and base (a 16-target manifest has four) check it once.
    key = ("nginx -t", base_images.image_id(base), hashlib.sha256(conf.read_bytes()).hexdigest())
    return pool.submit(once, key, lambda: check(job.name, base, conf))


def check(target: str, base: str, conf: Path) -> None:
    # `web` resolves to loopback just for the test (through /etc/hosts), so the
    # container needs no network.
    code, output = docker_client.run_once(
        base, target, ["nginx", "-t", "-e", "stderr", "-c", CONF], environment={}, user=APP_UID,
        timeout=TIMEOUT, network=docker_client.NO_NETWORK, files=_tar(conf), hosts={"web": "127.0.0.1"})
    if code is None:
        raise BuildFailed(f"{target}: `nginx -t` did not finish within {TIMEOUT} s", output)
    if code != 0:
        raise BuildFailed(f"{target}: generated nginx.conf fails `nginx -t`", output)


def _tar(conf: Path) -> bytes:
    """nginx.conf at CONF, root's and readable by all, as the image's COPY leaves it."""
    return bytes_tar({CONF: conf.read_bytes()}, folders=[str(Path(CONF).parent)])
