"""Real app shapes end to end: a tutorial factory app with SQLite in its
instance folder, its database made by app.prestart, on all four kinds; and
the same app with app.release instead, which smoke shows cannot survive.
Canary secrets planted in .env and instance/config.py must reach no artifact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, SESSION, invoke, managed_containers

pytestmark = pytest.mark.docker
CANARIES = (b"canary-dotenv-7f3a9c", b"canary-instance-5d1e8b")

MANIFEST = """\
app:
  source: .
  entry: "flaskr:create_app()"
  static: flaskr/static
  static_url: /static
  {step}: "flask --app flaskr init-db"
smoke:
  health: /healthz
  checks:
    - {{path: /, content_type: text/html, contains: "<!doctype html>"}}
    - {{path: /healthz, content_type: text/plain, contains: ok, deterministic: true}}
    - {{path: /posts/1, status: 404}}
environments:
  development: {{env: {{FLASK_DEBUG: "0"}}}}
targets:
  run: {{kind: cloudrun, service_id: flaskr, region: us-central1}}
  dyno: {{kind: heroku, app: flaskr}}
  stack: {{kind: compose, publish: 8021}}
  fn: {{kind: functions}}
"""


def _app(tmp: Path, step: str) -> Path:
    root = tmp / "flaskr-app"
    shutil.copytree(REPO / "tests/fixtures/apps/factory_sqlite", root)
    (root / "targets.yaml").write_text(MANIFEST.format(step=step))
    assert (root / ".env").read_bytes().find(CANARIES[0]) >= 0  # the canaries are really there
    assert (root / "instance/config.py").read_bytes().find(CANARIES[1]) >= 0
    return root


def _holds_canary(stream: bytes | object) -> bool:
    tail = b""
    for chunk in stream:  # type: ignore[attr-defined]
        window = tail + chunk
        if any(c in window for c in CANARIES):
            return True
        tail = window[-64:]
    return False


@pytest.fixture(scope="module")
def prestart_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = _app(tmp_path_factory.mktemp("prestart"), "prestart")
    build = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert build.code == 0, build.stdout + build.stderr
    return root, build.stdout + build.stderr


def test_prestart_makes_the_database_on_every_kind(prestart_app: tuple[Path, str],
                                                   engine: docker.DockerClient) -> None:
    root, _ = prestart_app
    smoke = invoke("smoke", "--manifest", str(root / "targets.yaml"))
    assert smoke.code == 0, smoke.stdout + smoke.stderr
    report = json.loads((root / "build/smoke.json").read_text())["targets"]
    assert sorted(report) == ["dyno", "fn", "run", "stack"] and all(t["passed"] for t in report.values())
    assert managed_containers(engine) == []


def test_no_canary_reaches_any_artifact_or_the_output(prestart_app: tuple[Path, str],
                                                      engine: docker.DockerClient) -> None:
    root, output = prestart_app
    assert "left out (not shipped)" in output and ".env" in output and "instance/" in output
    assert not any(c.decode() in output for c in CANARIES)
    for path in (root / "build").rglob("*"):
        if path.is_file():
            assert not any(c in path.read_bytes() for c in CANARIES), path
    for target in ("run", "dyno", "stack", "fn"):
        record = json.loads((root / f"build/{target}/build.json").read_text())
        for image in record["images"].values():
            img = engine.images.get(image["id"])
            assert not _holds_canary(img.save()), (target, image["ref"])
            history = json.dumps(img.history()) + json.dumps(img.attrs)
            assert not any(c.decode() in history for c in CANARIES)


def test_release_runs_apart_and_its_files_do_not_survive(tmp_path: Path, engine: docker.DockerClient) -> None:
    root = _app(tmp_path, "release")
    manifest = str(root / "targets.yaml")
    assert invoke("build", "--manifest", manifest, "--target", "dyno").code == 0
    smoke = invoke("smoke", "--manifest", manifest, "--target", "dyno")
    assert smoke.code != 0 and "Traceback" not in smoke.stderr
    results = json.loads((root / "build/smoke.json").read_text())["targets"]["dyno"]["results"]
    statuses = {r["check"]: r for r in results}
    assert statuses["release"]["status"] == "pass"  # init-db itself worked, in its one-off dyno
    assert statuses["GET /"]["status"] == "fail" and "status 500" in statuses["GET /"]["got"]  # no database
    assert "files are discarded" in smoke.last_line  # the error says why, and what to do
    assert "no such table: post" in smoke.stdout  # and the app's own log shows it
    assert managed_containers(engine) == []
    assert not engine.containers.list(all=True, filters={"label": f"io.flaskship.session={SESSION}"})
