"""The published tag names the commit, and says when the work tree was dirty."""

from __future__ import annotations

import subprocess
from pathlib import Path

from targets.commands import preflight


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_a_clean_tree_is_tagged_with_its_commit_and_a_dirty_one_says_so(tmp_path: Path) -> None:
    assert preflight.release_tag(tmp_path) == "nogit"
    _git(tmp_path, "init", "-q")
    (tmp_path / "app.py").write_text("x = 1\n")
    _git(tmp_path, "add", "app.py")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "one")
    sha = _git(tmp_path, "rev-parse", "--short=12", "HEAD")
    assert preflight.release_tag(tmp_path) == sha
    (tmp_path / "app.py").write_text("x = 2\n")
    assert preflight.release_tag(tmp_path) == f"{sha}-dirty"
    _git(tmp_path, "checkout", "-q", "app.py")
    (tmp_path / "new.py").write_text("")  # an untracked file ships too
    assert preflight.release_tag(tmp_path) == f"{sha}-dirty"
