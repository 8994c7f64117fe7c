"""Run the edge: nginx in a labelled container, in front of a Cloud Run container.

`running()` is the one entry point (smoke uses it; so can `invoke up`): it
reads firebase.json, prints its warnings, writes nginx.conf, and starts nginx
with the config and public/ copied in, on a free loopback port. It is removed
on the way out, whatever happens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from ....engine import base_images, docker_client, outbound
from ....errors import SmokeFailed
from ....files import bytes_tar
from . import config, nginx

NGINX_UID = "10001"
BOOT_WITHIN = 15.0


@dataclass(frozen=True)
class Edge:
    url: str  # http://127.0.0.1:<port>
    site: config.Site
    container: docker_client.Container

    def log(self) -> str:
        return docker_client.logs(self.container, "all")


@dataclass(frozen=True)
class Upstream:
    network: str  # the edge joins the app container's network
    address: str  # host:port there


def upstream_of(container: docker_client.Container, port: int) -> Upstream:
    """Where the edge's container reaches `container`: on the same network, by address."""
    network, ip = docker_client.reachable_at(container)
    return Upstream(network, f"{ip}:{port}")


def archive(site: config.Site, conf: str) -> bytes:
    """A tar of the config and the served files, owned by root and readable by nginx's user."""
    files = {nginx.CONFIG: conf.encode(),
             **{nginx.PUBLIC + url: (site.public / url.lstrip("/")).read_bytes() for url in sorted(site.files)}}
    return bytes_tar(files, mtime=int(time.time()))


@contextmanager
def running(firebase_json: Path, target: str, upstream: Upstream | None, *, service_id: str | None = None,
            image: str = "nginx:stable-bookworm", progress: Callable[[str], None] = print) -> Iterator[Edge]:
    """The edge for `firebase_json`'s site in front of `upstream` (host:port reachable from a
    container, see upstream_of; None: run rewrites answer 502). Yields it once it answers."""
    site = config.load(firebase_json, service_id=service_id)
    for warning in site.warnings:
        progress(f"  {target} [edge]: warning: {warning}")
    conf = nginx.render(site, upstream.address if upstream else None)
    base = _resolved(image, progress)
    command = ["nginx", "-e", "stderr", "-c", nginx.CONFIG, "-g", "daemon off;"]
    with docker_client.running(base, target, environment={}, container_port=nginx.PORT, user=f"{NGINX_UID}:{NGINX_UID}",
                               command=command, files=archive(site, conf),
                               network=_own_network(upstream)) as (container, port):
        edge = Edge(f"http://127.0.0.1:{port}", site, container)
        _wait(edge, target)
        yield edge


def _own_network(upstream: Upstream | None) -> str | None:
    # Docker's default bridge is where containers start anyway; any other network
    # (a smoke run's services network) must be joined by name.
    return upstream.network if upstream and upstream.network != "bridge" else None


_RESOLVED: dict[str, str] = {}


def _resolved(image: str, progress: Callable[[str], None]) -> str:
    """The nginx image (or its stand-in), looked up once per process: a failed pull costs a second."""
    if image not in _RESOLVED or not base_images.exists(_RESOLVED[image]):
        _RESOLVED[image] = base_images.resolve(image, progress)
    return _RESOLVED[image]


def _wait(edge: Edge, target: str) -> None:
    deadline = time.monotonic() + BOOT_WITHIN
    while time.monotonic() < deadline:
        if not docker_client.is_running(edge.container):
            raise SmokeFailed(f"{target} [edge]: nginx exited at start", docker_client.logs(edge.container))
        try:
            outbound.get(edge.url + "/__/firebase/init.json", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise SmokeFailed(f"{target} [edge]: nginx gave no answer within {BOOT_WITHIN:g} s",
                      docker_client.logs(edge.container))
