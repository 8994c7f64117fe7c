"""invoke up: one target kept running as its platform runs it, its logs followed, all removed on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
import requests

from tests.helpers import MANAGED, REPO, SESSION

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("target", ["cloudrun", "compose"])
def test_up_serves_follows_logs_and_removes_everything_on_ctrl_c(built: Path, engine: docker.DockerClient,
                                                                   target: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), "up", "--target", target,
                             "--manifest", str(built / "targets.yaml")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "FLASKSHIP_SESSION": SESSION})
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "up ended early:\n" + "".join(seen)
            seen.append(line)
            found = re.search(r": up at (http://[0-9.]+:\d+) ", line)
            url = found.group(1) if found else None
        assert url, "".join(seen)
        assert requests.get(url + "/healthz", timeout=10).json()["status"] == "ok"
        assert engine.containers.list(filters=MANAGED), "nothing running while up says it is"
        # The request just made shows up in the followed logs.
        while not any("/healthz" in line and "HTTP/1." in line for line in seen[-5:]):
            line = proc.stdout.readline()
            assert line, "".join(seen)
            seen.append(line)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=120)
    output = "".join(seen) + rest
    assert proc.returncode == 0, output
    assert f"{target}: stopped; everything `up` started has been removed" in output
    assert "Traceback" not in output
    assert engine.containers.list(all=True, filters=MANAGED) == []
    if target == "compose":
        assert engine.networks.list(filters={"label": f"io.flaskship.session={SESSION}"}) == []
