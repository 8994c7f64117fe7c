"""Fixtures for the real-Docker tests: the engine, and one build shared by the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.helpers import copy_demo, invoke
from tests.integration import canaries


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    # No skip: these tests exist to run against the real engine, in CI too.
    return docker.from_env()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project copy with every target built once for the whole session.

    Shared honestly: tests that read smoke results run their own smoke first,
    and a test that edits the copy restores it in `finally`.
    """
    root = copy_demo(tmp_path_factory.mktemp("built"))
    canaries.plant(root)  # local secrets lying around, as in real apps: test_secrets.py proves none ships
    result = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    yield root
