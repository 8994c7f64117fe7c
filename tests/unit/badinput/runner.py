"""Run the real Invoke program (this repo's tasks.py) in this process, and judge it.

In-process, because the corpus has well over a hundred cases and a Python
start-up per case would cost minutes; the few cases that could hang (a FIFO,
/dev/zero) run the CLI as a subprocess with a timeout instead.
"""

from __future__ import annotations

import io
import os
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from tests.helpers import REPO, CliResult

ALLOWED_CONTROLS = "\n"


def run(*args: str, cwd: Path | None = None) -> CliResult:
    import tasks  # noqa: PLC0415 (the repo root is on sys.path in the tests)
    from invoke import Collection, Program

    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    code: int = 0
    try:
        os.chdir(cwd or REPO)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                Program(namespace=Collection.from_module(tasks), version="test").run(["invoke", *args])
            except SystemExit as exc:
                code = int(exc.code or 0)
            except BaseException:  # noqa: BLE001 - a traceback is exactly what the corpus looks for
                traceback.print_exc()
                code = 99
    finally:
        os.chdir(here)
    return CliResult(code, out.getvalue(), err.getvalue())


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on, found unescaped in the output."""
    return sorted({repr(ch) for ch in text if not ch.isprintable() and ch not in ALLOWED_CONTROLS})


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Every path under root but `skip` (build/): a file with its size and mtime, a folder as (0, 0)
    (its mtime changes when build/ appears in it)."""
    found = {}
    for path in root.rglob("*"):
        if path == skip or skip in path.parents:
            continue
        info = path.lstat()
        plain_dir = path.is_dir() and not path.is_symlink()
        found[str(path.relative_to(root))] = (0, 0) if plain_dir else (info.st_size, info.st_mtime_ns)
    return found


def half_written(build: Path) -> list[str]:
    """Leftovers of an interrupted write inside build/: staging folders and temp files."""
    if not build.is_dir():
        return []
    return sorted(str(p.relative_to(build)) for p in build.rglob("*")
                  if p.name.startswith((".staging-", ".retired-")) or p.name.endswith(".tmp"))
