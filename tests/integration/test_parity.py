"""One suite, every target: the parity report, and a different app swapped in."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, built_and_smoked, invoke, managed_containers

pytestmark = pytest.mark.docker


def test_all_targets_smoke_with_one_report(built: Path, engine: docker.DockerClient) -> None:
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--force")
    assert result.code == 0, result.stdout + result.stderr
    header = [line for line in result.stdout.splitlines() if line.startswith("check ")]
    assert len(header) == 1 and header[0].split() == ["check", "cloudrun", "compose", "functions", "heroku"]
    assert "4 target(s), " in result.stdout and " 0 failed, 1 differ by platform in " in result.stdout
    report = json.loads((built / "build/smoke.json").read_text())["targets"]
    assert sorted(report) == ["cloudrun", "compose", "functions", "heroku"]
    shared = ["health", "home", "echo", "query", "unicode-path", "json-404", "robots.txt", "static-bytes",
              "not-found"]
    for target, entry in report.items():
        statuses = {r["check"]: r["status"] for r in entry["results"]}
        assert entry["passed"], target
        for check in shared:
            expected = "differs" if (target, check) == ("functions", "robots.txt") else "pass"
            assert statuses[check] == expected, (target, check)
    # Parity ran across the four: the only odd answer is the declared one.
    odd = [(t, r["check"], r["status"]) for t, e in report.items() for r in e["results"] if r["variant"] == "parity"]
    assert odd == [("functions", "robots.txt", "differs")]
    assert managed_containers(engine) == []


def test_a_different_flask_app_builds_and_smokes_on_every_target(tmp_path: Path, engine: docker.DockerClient) -> None:
    shutil.copytree(REPO / "tests/fixtures/otherapp", tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    built_and_smoked(tmp_path / "shop/targets.yaml")
    report = json.loads((tmp_path / "shop/build/smoke.json").read_text())["targets"]
    assert sorted(report) == ["dyno", "fn", "run", "stack"] and all(t["passed"] for t in report.values())
    assert not (tmp_path / "shop/build/run/src/build").exists()  # the output never ships inside itself
    assert managed_containers(engine) == []


def test_every_rendered_dockerfile_passes_hadolint(built: Path) -> None:
    dockerfiles = sorted((built / "build").glob("*/**/Dockerfile"))
    assert len(dockerfiles) >= 5  # cloudrun, heroku, compose web + nginx, functions runner
    for dockerfile in dockerfiles:
        lint = subprocess.run(["hadolint", str(dockerfile)], capture_output=True, text=True)
        assert lint.returncode == 0, f"{dockerfile}: {lint.stdout}"
