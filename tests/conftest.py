"""Shared fixtures: a throwaway copy of the project, and the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Every CLI run from this test session labels its containers with this id, so
# leftover checks look only at what these tests started.
SESSION = f"pytest-{uuid.uuid4().hex[:8]}"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def invoke(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> CliResult:
    """Run the real `invoke` CLI against this repo's tasks.py."""
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(REPO), *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "FLASKSHIP_SESSION": SESSION, **(env or {})},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of app/ and targets.yaml; builds land in its own build/."""
    shutil.copytree(REPO / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "targets.yaml", tmp_path / "targets.yaml")
    return tmp_path
