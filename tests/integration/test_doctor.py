"""invoke doctor against the running engine: every check answers, nothing needed is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import invoke

pytestmark = pytest.mark.docker


def test_doctor_passes_on_a_ready_machine_and_says_what_it_found(project: Path) -> None:
    result = invoke("doctor", "--manifest", str(project / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    topics = {line[6:18].strip() for line in result.stdout.splitlines() if line[:4] in ("ok  ", "warn")}
    assert {"engine", "compose", "base image", "python", "disk", "firebase", "credentials"} <= topics
    assert "Docker Engine 20." in result.stdout or "Docker Engine 2" in result.stdout
    # The stand-ins are Debian's Python 3.11: doctor says so, and that it still builds.
    for ref in ("python:3.12-slim", "nginx:stable-bookworm"):
        assert f"{ref}: " in result.stdout
    assert "doctor: " in result.stdout.splitlines()[-1] and " 0 problem(s)" in result.stdout.splitlines()[-1]


def test_doctor_fails_on_wheels_built_for_another_python(project: Path) -> None:
    wheels = project / "build/cloudrun/image/wheels"
    wheels.mkdir(parents=True)
    (wheels / "fake-1.0-cp39-cp39-manylinux_2_17_x86_64.whl").write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    result = invoke("doctor", "--manifest", str(project / "targets.yaml"))
    assert result.code == 1
    assert "FAIL  wheelhouse   build/cloudrun has wheels for cp39" in result.stdout
    assert "invoke build --target cloudrun" in result.stdout
