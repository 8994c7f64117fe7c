"""`pip install .` into a fresh venv gives a `flaskship` command that builds and smokes from any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, SESSION, copy_demo

pytestmark = pytest.mark.docker
SHIPPED = ("pyproject.toml", "README.md", "constraints.txt", "targets", "compose", "nginx")


def run(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**env, "FLASKSHIP_SESSION": SESSION})


def test_pip_install_gives_a_flaskship_command_that_works_from_another_folder(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy: pip builds in-tree, and the worktree stays clean
    source.mkdir()
    for name in SHIPPED:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, source / name)
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", str(venv), cwd=tmp_path).returncode == 0
    pip = run(str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              "-c", str(source / "constraints.txt"), str(source), cwd=tmp_path)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    flaskship = str(venv / "bin/flaskship")
    listing = run(flaskship, "--list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    for name in ("build", "smoke", "publish", "doctor", "clean", "up", "report", "matrix", "completion"):
        assert f"\n  {name} " in listing.stdout
    # Another folder, another project; the installed package (not this repo) does the work.
    project = copy_demo(tmp_path / "elsewhere")
    manifest = yaml.safe_load((project / "targets.yaml").read_text())
    manifest["targets"] = {"cloudrun": manifest["targets"]["cloudrun"]}
    (project / "targets.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    where = run(str(venv / "bin/python"), "-c", "import targets; print(targets.__file__)", cwd=project)
    assert str(venv) in where.stdout, where.stdout + where.stderr
    build = run(flaskship, "build", "--json", cwd=project)
    assert build.returncode == 0, build.stdout + build.stderr
    smoke = run(flaskship, "smoke", cwd=project)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "smoke: 1 target(s): 1 pass" in smoke.stdout
    assert (project / "build/junit.xml").is_file()
