"""Copies of a target that differ only in name and where they publish are one smoke run."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import docker
import pytest

from targets.smoke.report import Result
from tests.helpers import SESSION, invoke, managed_containers

pytestmark = pytest.mark.docker

COPIES = """  heroku-prod:
    kind: heroku
    app: flask-prod
  heroku-8081:
    kind: heroku
    app: flask-prod
    port: 8081
"""


def _created(engine: docker.DockerClient, since: int, until: int, target: str) -> list[dict]:
    return list(engine.events(since=since, until=until, decode=True, filters={
        "type": "container", "event": "create",
        "label": [f"io.flaskship.session={SESSION}", f"io.flaskship.target={target}"]}))


def test_a_copy_takes_its_originals_verdict_and_a_changed_one_runs(project: Path, engine: docker.DockerClient) -> None:
    manifest = project / "targets.yaml"
    manifest.write_text(manifest.read_text() + COPIES)
    targets = "heroku,heroku-prod,heroku-8081"
    assert invoke("build", "--manifest", str(manifest), "--target", targets).code == 0
    time.sleep(1.1)  # events are filtered by whole seconds
    since = int(time.time())
    smoked = invoke("smoke", "--manifest", str(manifest), "--target", targets, "--force")
    until = int(time.time()) + 1
    assert smoked.code == 0, smoked.stdout + smoked.stderr
    assert "heroku-prod: built and run as heroku is, but for its name: heroku's run stands for it (" in smoked.stdout
    row = next(line for line in smoked.stdout.splitlines() if line.startswith("heroku-prod "))  # the table's
    assert row.split()[-3:] == ["as", "heroku", "pass"]
    # Only the original and the copy with a port of its own (another image config) ran anything.
    assert _created(engine, since, until, "heroku-prod") == []
    assert _created(engine, since, until, "heroku") and _created(engine, since, until, "heroku-8081")
    report = json.loads((project / "build/smoke.json").read_text())["targets"]
    assert report["heroku-prod"]["same_as"] == "heroku" and report["heroku-prod"]["passed"] is True
    assert report["heroku-8081"]["same_as"] is None and report["heroku"]["same_as"] is None
    original = [asdict(replace(Result(**r), target="heroku-prod")) for r in report["heroku"]["results"]]
    assert report["heroku-prod"]["results"] == original
    # Its own build, still: what publish would push is its own image, as built.
    assert report["heroku-prod"]["images"]["app"]["ref"].startswith("flaskship/heroku-prod:")
    assert managed_containers(engine) == []
