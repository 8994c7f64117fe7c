"""The Cloud Functions zip: contents, reproducibility, limits, and the real framework."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, assert_one_clear_line, invoke, managed_containers

pytestmark = pytest.mark.docker


def test_zip_layout(built: Path) -> None:
    with zipfile.ZipFile(built / "build/functions.zip") as zf:
        names = zf.namelist()
        requirements = zf.read("requirements.txt").decode()
        main = zf.read("main.py").decode()
    assert names == sorted(names)
    assert {"main.py", "requirements.txt", "wsgi.py", "demo/__init__.py", "demo/static/style.css"} <= set(names)
    # The build's lock: every name as uv writes it, normalized to lower case.
    assert "functions-framework==" in requirements and "\nflask==" in requirements
    assert "def handler(request" in main and "run_wsgi_app(_flask_app, request.environ)" in main
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", ".env", ".git"))]


def test_zip_is_byte_reproducible(tmp_path: Path) -> None:
    digests = []
    for copy, (umask, mtime) in enumerate([(0o022, 1_000_000_000), (0o077, 1_700_000_000)]):
        root = tmp_path / f"copy{copy}"
        old = os.umask(umask)
        try:
            shutil.copytree(REPO / "app", root / "app", ignore=shutil.ignore_patterns("__pycache__"))
        finally:
            os.umask(old)
        shutil.copy(REPO / "targets.yaml", root / "targets.yaml")
        for path in (root / "app").rglob("*"):
            os.utime(path, (mtime, mtime))
        result = invoke("build", "--manifest", str(root / "targets.yaml"), "--target", "functions")
        assert result.code == 0, result.stderr
        digests.append(hashlib.sha256((root / "build/functions.zip").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_smoke_under_functions_framework_declares_its_difference(built: Path, engine: docker.DockerClient) -> None:
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "functions", "--force")
    assert result.code == 0, result.stdout + result.stderr
    results = json.loads((built / "build/smoke.json").read_text())["targets"]["functions"]["results"]
    statuses = {r["check"]: r["status"] for r in results}
    assert statuses.pop("robots.txt") == "differs"
    assert set(statuses.values()) == {"pass"}
    assert "differs by platform: functions robots.txt: functions-framework answers" in result.stdout
    assert managed_containers(engine) == []


def test_runners_of_one_app_share_the_functions_runtime_layer(project: Path, engine: docker.DockerClient) -> None:
    # Two functions targets (two entry points of one app, a common shape): the runtime's
    # layer is made once, by one step both runners inherit, and they are the same layers,
    # told apart by config alone.
    manifest = project / "targets.yaml"
    manifest.write_text(manifest.read_text().replace(
        "  functions:\n    kind: functions\n",
        "  functions-b:\n    kind: functions\n    entry_point: handler\n    bucket: flask-demo-b\n"
        "  functions:\n    kind: functions\n"))
    result = invoke("build", "--manifest", str(manifest), "--target", "functions,functions-b")
    assert result.code == 0, result.stdout + result.stderr
    runners = [json.loads((project / f"build/{name}/build.json").read_text())["images"]["runner"]["id"]
               for name in ("functions", "functions-b")]
    layers = [engine.images.get(image).attrs["RootFS"]["Layers"] for image in runners]
    assert runners[0] != runners[1] and layers[0] == layers[1], layers
    steps = [[step["Id"] for step in engine.api.history(image) if step["CreatedBy"].endswith(" in /opt/platform/ ")]
             for image in runners]
    assert steps[0] == steps[1] and len(steps[0]) == 1, steps


def test_zip_over_the_unzipped_limit(project: Path) -> None:
    with open(project / "app/demo/static/huge.bin", "wb") as fh:
        fh.truncate(501 * 1024 * 1024)  # sparse: cheap to make, 501 MB to zip
    result = invoke("build", "--manifest", str(project / "targets.yaml"), "--target", "functions")
    assert_one_clear_line(result, "functions: zip unpacks to", "over Cloud Functions' 500 MB limit")
    assert not (project / "build/functions.zip").exists()
    assert not list((project / "build").glob(".staging-*"))


def test_entry_point_missing_from_the_zip(project: Path) -> None:
    # The entry module sits in tests/, which never ships: the zip cannot import it.
    (project / "app/tests").mkdir()
    (project / "app/tests/entry.py").write_text("from demo import create_app\napp = create_app()\n")
    text = (project / "targets.yaml").read_text().replace("entry: wsgi:app", "entry: tests.entry:app")
    (project / "targets.yaml").write_text(text)
    result = invoke("build", "--manifest", str(project / "targets.yaml"), "--target", "functions")
    assert_one_clear_line(result, "functions: the zip has no module 'tests.entry'")
