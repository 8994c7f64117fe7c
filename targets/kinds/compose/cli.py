"""Compose v2 (`docker compose`) or v1 (`docker-compose`), whichever is installed.

Both take the same file and the same subcommands used here; v1 (1.29, what
Debian ships) lacks `up --wait`, so callers wait over HTTP themselves.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from ...errors import SmokeFailed
from ...files import user_cache

TIMEOUT = 180


@lru_cache(maxsize=1)
def command() -> tuple[str, ...]:
    forced = os.environ.get("FLASKSHIP_COMPOSE")
    candidates = [tuple(forced.split())] if forced else [("docker", "compose"), ("docker-compose",)]
    for candidate in candidates:
        path = shutil.which(candidate[0])
        if path is not None and _works(candidate, path):
            return candidate
    raise SmokeFailed(
        "compose is not installed: neither `docker compose` (v2) nor `docker-compose` (v1) works; "
        "run bin/setup or `apt-get install docker-compose`"
    )


def run(project: str, files: list[Path], args: list[str], env: Mapping[str, str], target: str,
        timeout: float = TIMEOUT) -> str:
    cmd = [*command(), "--project-name", project]
    for file in files:
        cmd += ["--file", str(file)]
    try:
        # A session of its own: a Ctrl-C at the terminal reaches flaskship, which decides, and
        # never kills the `down` that cleans up after it.
        result = subprocess.run([*cmd, *args], capture_output=True, text=True, env=dict(env), timeout=timeout,
                                start_new_session=True)
    except subprocess.TimeoutExpired:
        raise SmokeFailed(f"{target}: `{' '.join(cmd[:2])} {args[0]}` did not finish within {timeout:g} s") from None
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        raise SmokeFailed(f"{target}: compose {args[0]} failed: {output[-1] if output else 'no output'}",
                          "\n".join(output[-30:]))
    return result.stdout


def _works(candidate: tuple[str, ...], path: str) -> bool:
    """`<candidate> version` succeeds (`path`: where its program is). A standalone program's
    success is kept per executable (path, size, mtime): v1's probe is a Python start, 0.4 s
    of every smoke (measured). `docker compose` is always asked (14 ms): its plugin can go
    while the docker binary stays the same."""
    kept = None
    if len(candidate) == 1:
        info = os.stat(path)
        key = hashlib.sha256(f"{os.path.realpath(path)}\0{info.st_size}\0{info.st_mtime_ns}".encode()).hexdigest()
        folder = user_cache("compose")
        kept = folder / f"{key[:24]}.ok" if folder is not None else None
        if kept is not None and kept.is_file():
            return True
    if subprocess.run([*candidate, "version"], capture_output=True, text=True).returncode != 0:
        return False
    if kept is not None:
        kept.touch()
    return True
