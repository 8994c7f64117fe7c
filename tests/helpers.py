"""Helpers every test tier shares: the real CLI, the one-line error rule, record reading.

Test modules import from here, never from one another.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Every CLI run from this test session labels its containers with this id, so
# leftover checks look only at what these tests started.
SESSION = f"pytest-{uuid.uuid4().hex[:8]}"
MANAGED = {"label": f"io.flaskship.session={SESSION}"}


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


def assert_one_clear_line(result: CliResult, *fragments: str) -> None:
    """A non-zero exit, no traceback, and a last line `error: ...` holding every fragment."""
    assert result.code != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert result.last_line.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.last_line, result.last_line


def copy_demo(dest: Path) -> Path:
    """A copy of the demo app and its targets.yaml under dest; returns dest."""
    shutil.copytree(REPO / "app", dest / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "targets.yaml", dest / "targets.yaml")
    return dest


def record(root: Path, target: str) -> dict[str, Any]:
    return json.loads((root / "build" / target / "build.json").read_text())


def managed_containers(engine: Any) -> list[Any]:
    return engine.containers.list(all=True, filters=MANAGED)
