"""A proxy in the environment (HTTP_PROXY and HTTPS_PROXY set, NO_PROXY not), as on many
company machines, is for the outside world: smoke's traffic to the containers on
loopback never goes through it."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from tests.helpers import invoke, managed_containers

pytestmark = pytest.mark.docker

# Nothing listens on the discard port: a request sent to this proxy fails at once.
DEAD_PROXY = "http://127.0.0.1:9"


def test_smoke_reaches_every_target_directly_with_a_proxy_set(built: Path, engine: docker.DockerClient) -> None:
    env = {name: DEAD_PROXY for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")}
    env.update(NO_PROXY="", no_proxy="")
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--force", env=env, timeout=300)
    assert result.code == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ProxyError" not in result.stdout + result.stderr
    assert managed_containers(engine) == []
