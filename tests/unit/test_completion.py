"""Bash completion offers task names, flags, and the target and environment names of targets.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO


@pytest.fixture(scope="module")
def flaskship(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `flaskship` on PATH that is what the installed entry point runs (targets.tasks:program.run)."""
    bin_dir = tmp_path_factory.mktemp("bin")
    script = bin_dir / "flaskship"
    script.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -c "
                      "'from targets.tasks import program; program.run()' \"$@\"\n")
    script.chmod(0o755)
    return bin_dir


def complete(bin_dir: Path, cwd: Path, *words: str) -> list[str]:
    """Source the generated script and run its completion function on `words` (the last is being typed)."""
    quoted = " ".join(f"'{w}'" for w in words)
    code = (f'eval "$(flaskship completion bash)"; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; '
            '_flaskship_complete; printf "%s\\n" "${COMPREPLY[@]}"')
    out = subprocess.run(["bash", "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60,
                         env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


def test_target_and_environment_names_come_from_the_manifest(flaskship: Path, project: Path) -> None:
    assert complete(flaskship, project, "flaskship", "build", "--target", "clo") == ["cloudrun"]
    assert sorted(complete(flaskship, project, "flaskship", "smoke", "-t", "")) == ["all", "cloudrun", "compose", "functions", "heroku"]
    assert complete(flaskship, project, "flaskship", "smoke", "--target", "cloudrun,he") == ["cloudrun,heroku"]
    assert complete(flaskship, project, "flaskship", "smoke", "--env", "st") == ["staging"]


def test_a_manifest_named_on_the_line_is_the_one_read(flaskship: Path, project: Path, tmp_path: Path) -> None:
    other = project / "other.yaml"
    other.write_text((project / "targets.yaml").read_text().replace("  heroku:\n", "  dyno:\n", 1))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert complete(flaskship, elsewhere, "flaskship", "build", "--manifest", str(other), "--target", "d") == ["dyno"]
    assert complete(flaskship, elsewhere, "flaskship", "build", "--target", "d") == []  # no targets.yaml here


def test_task_names_and_flags_still_come_from_invoke(flaskship: Path, project: Path) -> None:
    assert complete(flaskship, project, "flaskship", "bu") == ["build"]
    assert "--target" in complete(flaskship, project, "flaskship", "smoke", "--")
    assert {"doctor", "clean", "up", "report", "matrix"} <= set(complete(flaskship, project, "flaskship", ""))
