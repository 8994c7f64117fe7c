"""DOCKER_HOST and Docker contexts are honoured: build and smoke against a second engine
on its own socket (and over tcp:// on loopback); the engine going away mid-build is one
clear line and leaves nothing half-written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from targets.records import folder_hash
from tests.helpers import REPO, SESSION, copy_demo, invoke
from tests.integration.second_engine import Engine, second_engine

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine2() -> Iterator[Engine]:
    with second_engine() as engine:
        yield engine


@pytest.fixture(scope="module")
def project2(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo reduced to cloudrun, with the wheels the shared build already resolved (a cache keyed by content)."""
    root = copy_demo(tmp_path_factory.mktemp("engine2"))
    manifest = yaml.safe_load((root / "targets.yaml").read_text())
    manifest["targets"] = {"cloudrun": manifest["targets"]["cloudrun"]}
    (root / "targets.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    shutil.copytree(built / "build/.cache", root / "build/.cache", ignore=shutil.ignore_patterns("init-venv-*"))
    return root


def test_build_and_smoke_on_a_second_engine_by_docker_host_tcp_and_context(engine2: Engine, project2: Path,
                                                                          tmp_path: Path) -> None:
    manifest = str(project2 / "targets.yaml")
    build = invoke("build", "--manifest", manifest, "--json", env={"DOCKER_HOST": engine2.unix})
    assert build.code == 0, build.stdout + build.stderr
    image = json.loads(build.stdout)["targets"][0]["artifacts"][0]["id"]
    # The image is in the second engine only.
    assert subprocess.run(["docker", "-H", engine2.unix, "image", "inspect", image], capture_output=True).returncode == 0
    assert subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode != 0
    smoke = invoke("smoke", "--manifest", manifest, env={"DOCKER_HOST": engine2.tcp})
    assert smoke.code == 0, smoke.stdout + smoke.stderr
    assert "smoke: 1 target(s): 1 pass" in smoke.stdout
    # A Docker context, as `docker context use` leaves it (no DOCKER_HOST).
    config = tmp_path / "docker-config"
    created = subprocess.run(["docker", "context", "create", "fs-second", "--docker", f"host={engine2.unix}"],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "DOCKER_CONFIG": str(config)})
    assert created.returncode == 0, created.stderr
    (config / "config.json").write_text(json.dumps({"currentContext": "fs-second"}))
    env = {"DOCKER_CONFIG": str(config), "DOCKER_HOST": ""}
    by_context = _invoke_without_docker_host("smoke", "--manifest", manifest, "--force", env=env)
    assert by_context.returncode == 0, by_context.stdout + by_context.stderr
    assert "smoke: 1 target(s): 1 pass" in by_context.stdout
    doctor = _invoke_without_docker_host("doctor", "--manifest", manifest, env=env)
    assert f"at {engine2.unix} (from context fs-second)" in doctor.stdout


def test_the_engine_going_away_mid_build_is_one_line_and_leaves_the_last_build(engine2: Engine, project2: Path) -> None:
    manifest = str(project2 / "targets.yaml")
    last_good = folder_hash(project2 / "build/cloudrun")
    record = (project2 / "build/cloudrun/build.json").read_bytes()
    with (project2 / "app/wsgi.py").open("a") as handle:
        handle.write("# an edit: the next build builds\n")
    # --verbose: docker's step lines are where to pull the engine away.
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), "build", "--manifest", manifest,
                             "--verbose"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**_environ(), "DOCKER_HOST": engine2.unix, "FLASKSHIP_SESSION": SESSION})
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if ": Step " in line:  # inside the image build
            engine2.kill()
            break
    rest, stderr = proc.communicate(timeout=300)
    result_lines = [line for line in stderr.splitlines() if line.strip()]
    assert proc.returncode == 1, "".join(seen) + rest + stderr
    assert "Traceback" not in stderr + rest
    assert result_lines[-1].startswith("error: cloudrun: the Docker engine at ") and "went away" in result_lines[-1]
    assert "cloudrun  cloudrun" in rest and "FAIL" in rest  # the summary still comes
    # Nothing half-written: the last good build, untouched; no staging folder left.
    assert folder_hash(project2 / "build/cloudrun") == last_good
    assert (project2 / "build/cloudrun/build.json").read_bytes() == record
    assert [p.name for p in (project2 / "build").iterdir() if p.name.startswith((".staging", ".retired"))] == []


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}


def _invoke_without_docker_host(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(REPO), *args], capture_output=True,
                            text=True, timeout=600,
                            env={**_environ(), "FLASKSHIP_SESSION": SESSION, **{k: v for k, v in env.items() if v}})
