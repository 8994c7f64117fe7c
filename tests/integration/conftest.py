from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.conftest import REPO, SESSION, invoke

MANAGED = {"label": f"io.flaskship.session={SESSION}"}


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    # No skip: these tests exist to run against the real engine, in CI too.
    return docker.from_env()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project copy with every target built once for the module."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(REPO / "app", root / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "targets.yaml", root / "targets.yaml")
    result = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    yield root


def record(root: Path, target: str) -> dict:
    return json.loads((root / "build" / target / "build.json").read_text())


def managed_containers(engine: docker.DockerClient) -> list:
    return engine.containers.list(all=True, filters=MANAGED)
