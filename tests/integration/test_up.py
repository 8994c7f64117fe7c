"""invoke up: one target kept running as its platform runs it, its logs followed, all removed on Ctrl-C."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest
import requests

from tests.helpers import MANAGED, SESSION, compose_installed, start_up, stop_up

pytestmark = pytest.mark.docker


@pytest.mark.parametrize(("target", "program"), [("cloudrun", None), ("compose", "docker compose"),
                                                ("compose", "docker-compose")], ids=["cloudrun", "compose-v2", "compose-v1"])
def test_up_serves_follows_logs_and_removes_everything_on_ctrl_c(built: Path, engine: docker.DockerClient,
                                                                   target: str, program: str | None) -> None:
    if program:
        compose_installed(program)
    up = start_up(built / "targets.yaml", target, env={"FLASKSHIP_COMPOSE": program} if program else None)
    try:
        probe = f"/healthz?probe={uuid.uuid4().hex}"
        assert requests.get(up.url + probe, timeout=10).json()["status"] == "ok"
        assert engine.containers.list(filters=MANAGED), "nothing running while up says it is"
        # The request just made shows up in the followed logs (for cloudrun: through the Hosting edge).
        up.read_until(lambda line: probe in line and "HTTP/1." in line)
    finally:
        output = stop_up(up)
    assert up.proc.returncode == 0, output
    assert f"{target}: stopped; everything `up` started has been removed" in output
    assert "Traceback" not in output
    assert engine.containers.list(all=True, filters=MANAGED) == []
    if target == "compose":
        assert engine.networks.list(filters={"label": f"io.flaskship.session={SESSION}"}) == []
