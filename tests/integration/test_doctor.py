"""invoke doctor against the running engine: every check answers, and a real problem fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from targets.kinds.compose import cli as compose_cli
from tests.helpers import invoke

pytestmark = pytest.mark.docker


def test_doctor_reports_every_check_and_fails_on_wheels_built_for_another_python(project: Path) -> None:
    # One run (each asks the registries about every base image): a machine that is ready but for
    # a build whose wheels no longer match its base image's Python.
    wheels = project / "build/cloudrun/image/wheels"
    wheels.mkdir(parents=True)
    empty_zip = b"PK\x05\x06" + b"\0" * 18
    (wheels / "fake-1.0-cp39-cp39-manylinux_2_17_x86_64.whl").write_bytes(empty_zip)
    # Wheels that do run on any later CPython: the stable ABI (flask-shop's pycryptodome, bcrypt), and pure ones.
    (wheels / "stable-3.19.0-cp35-abi3-manylinux_2_17_x86_64.whl").write_bytes(empty_zip)
    (wheels / "pure-1.0-py2.py3-none-any.whl").write_bytes(empty_zip)
    result = invoke("doctor", "--manifest", str(project / "targets.yaml"))
    lines = result.stdout.splitlines()
    topics = {line[6:18].strip() for line in lines if line[:4] in ("ok  ", "warn", "FAIL")}
    assert {"engine", "compose", "base image", "python", "disk", "firebase", "credentials", "wheelhouse"} <= topics
    assert any(line.startswith("ok    engine       Docker Engine ") for line in lines)
    # Compose as smoke runs it: Debian's v1 here, started without setuptools' distutils shim
    # (test_compose_program checks that this machine's v1 takes the switch).
    compose = next(line for line in lines if line.startswith("ok    compose "))
    assert "(v1): ?" not in compose and "(v2): ?" not in compose, compose  # its version answered
    if compose_cli.program_env():
        assert compose.endswith("; started with SETUPTOOLS_USE_DISTUTILS=stdlib"), compose
    else:
        assert "started with" not in compose, compose
    for ref in ("python:3.12-slim", "nginx:stable-bookworm"):
        assert any(f"base image   {ref}: " in line for line in lines)
    failed = [line for line in lines if line.startswith("FAIL")]
    assert failed == ["FAIL  wheelhouse   build/cloudrun has wheels for cp39, its base has Python 3.11"] or \
        failed == ["FAIL  wheelhouse   build/cloudrun has wheels for cp39, its base has Python 3.12"], result.stdout
    assert "fix: rebuild: `invoke build --target cloudrun`" in result.stdout
    assert result.code == 1 and result.last_line.startswith("error: doctor: 1 problem(s), first: wheelhouse")
