"""Which Docker engine to talk to, the way the docker CLI decides it.

DOCKER_HOST (unix://, tcp://, ssh://; with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH)
wins; else DOCKER_CONTEXT, else the current context of `docker context use`
(~/.docker/config.json); else the local socket. docker-py's from_env() reads
only the variables, so contexts are resolved here.

A port a container publishes is on the engine's host: on this machine for a
local socket, on the remote host for tcp:// and ssh://. Smoke connects to
`reach_host`, and asks a remote engine to publish on all its interfaces
(its loopback would be out of reach from here).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class Endpoint:
    url: str
    source: str  # "DOCKER_HOST", "context <name>", "default"
    tls: Any = None  # docker.tls.TLSConfig of a context, if it has one

    @property
    def reach_host(self) -> str:
        if self.url.startswith(("unix://", "npipe://", "fd://")):
            return "127.0.0.1"
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def local(self) -> bool:
        return loopback_host(self.reach_host)

    @property
    def publish_ip(self) -> str:
        """Where a container's port is published on the engine's host."""
        return "127.0.0.1" if self.local else "0.0.0.0"

    def describe(self) -> str:
        return f"{self.url} (from {self.source})" if self.source != "default" else self.url


def loopback_host(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def current() -> Endpoint:
    host = os.environ.get("DOCKER_HOST")
    if host:
        return Endpoint(host, "DOCKER_HOST")
    from docker.context import ContextAPI
    from docker.context.config import get_current_context_name

    name = os.environ.get("DOCKER_CONTEXT") or get_current_context_name()
    if name and name != "default":
        context = ContextAPI.get_context(name)
        if context is None:
            return Endpoint(f"context {name!r} (not found)", f"context {name}")
        return Endpoint(context.Host or DEFAULT, f"context {name}", context.TLSConfig or None)
    return Endpoint(DEFAULT, "default")


def client_kwargs(endpoint: Endpoint) -> dict[str, Any]:
    """Arguments for docker.DockerClient: the ssh binary for ssh:// (as the docker CLI
    does; honours ~/.ssh/config), TLS from the variables or the context."""
    from docker.utils import kwargs_from_env

    kwargs: dict[str, Any] = kwargs_from_env() if endpoint.source == "DOCKER_HOST" else {"base_url": endpoint.url}
    if endpoint.tls:
        kwargs["tls"] = endpoint.tls
    if endpoint.url.startswith("ssh://"):
        kwargs["use_ssh_client"] = True
    return kwargs


def environment(endpoint: Endpoint) -> dict[str, str]:
    """Variables a docker CLI tool we run (compose) needs to reach the same engine."""
    return {"DOCKER_HOST": endpoint.url} if endpoint.source.startswith("context ") else {}
