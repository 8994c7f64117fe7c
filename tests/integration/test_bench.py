"""invoke bench measures any app that builds: entry, port and health route come from the manifest."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, invoke, managed_containers

pytestmark = pytest.mark.docker


def test_bench_runs_on_an_app_that_is_not_the_demo(tmp_path: Path, engine: docker.DockerClient) -> None:
    # shop.main:application, health /ping, app.source "." (the manifest sits inside the app).
    shutil.copytree(REPO / "tests/fixtures/otherapp", tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    result = invoke("bench", "--manifest", str(tmp_path / "shop/targets.yaml"), "--rounds", "1")
    assert result.code == 0, result.stdout + result.stderr
    assert "bench (dyno, 1 rounds, medians):" in result.stdout  # the first image target in name order
    ratio = re.search(r"ratio baseline/ours ([0-9.]+)x", result.stdout)
    first_200 = re.search(r"docker run -> first 200\s+([0-9.]+) s", result.stdout)
    assert ratio and first_200, result.stdout  # figures, not asserted against budgets
    assert not [i for i in engine.images.list() for t in i.tags if t.startswith("flaskship-bench/")]
    assert managed_containers(engine) == []
