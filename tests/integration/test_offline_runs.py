"""docker_client.run_once(network=NO_NETWORK): the checks that need no network (the
Hosting lint's probe, `nginx -t`) run in a container with loopback only, whose
/etc/hosts still names localhost and what `hosts` asks for, and which is gone after."""

from __future__ import annotations

import json

import docker
import pytest

from targets.engine import base_images, docker_client
from tests.helpers import managed_containers

pytestmark = pytest.mark.docker

SCRIPT = """
import json, socket
found = {}
for name in ("localhost", "web", "example.com"):
    try:
        found[name] = socket.gethostbyname(name)
    except OSError:
        found[name] = None
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
socket.create_connection(server.getsockname(), timeout=2).close()
print(json.dumps({"interfaces": sorted(name for _, name in socket.if_nameindex()), "resolved": found}))
"""


def test_a_run_without_network_has_loopback_and_its_hosts_only(engine: docker.DockerClient) -> None:
    base = base_images.resolve("python:3.12-slim", lambda _line: None)
    code, log = docker_client.run_once(base, "offline-test", ["python3", "-c", SCRIPT], environment={},
                                       network=docker_client.NO_NETWORK, hosts={"web": "127.0.0.1"}, timeout=60)
    assert code == 0, log
    seen = json.loads(log.strip().splitlines()[-1])
    assert seen["interfaces"] == ["lo"]
    assert seen["resolved"] == {"localhost": "127.0.0.1", "web": "127.0.0.1", "example.com": None}
    assert managed_containers(engine) == []


def test_a_run_that_outlasts_its_timeout_is_told_apart_and_removed(engine: docker.DockerClient) -> None:
    # The SDK says a wait's timeout as requests' ConnectionError ("Read timed out"): the Hosting
    # lint's probe of zou, slow at import, gave that text as "a check did not finish" (docker_client.exit_status).
    base = base_images.resolve("python:3.12-slim", lambda _line: None)
    code, log = docker_client.run_once(base, "offline-test", ["python3", "-c", "print('started', flush=True)\n"
                                       "import time; time.sleep(60)"], environment={}, timeout=2,
                                       network=docker_client.NO_NETWORK)
    assert (code, log.strip()) == (None, "started")
    assert managed_containers(engine) == []
