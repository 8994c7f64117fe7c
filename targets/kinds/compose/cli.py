"""Compose v2 (`docker compose`) or v1 (`docker-compose`), whichever is installed.

Both take the same file and the same subcommands used here; v1 (1.29, what
Debian ships) lacks `up --wait`, so callers wait over HTTP themselves.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time
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
        timeout: float = TIMEOUT, stop: threading.Event | None = None) -> str:
    """The compose command's output. `stop`: set by another thread to end it early (SmokeFailed)."""
    cmd = [*command(), "--project-name", project]
    for file in files:
        cmd += ["--file", str(file)]
    # A session of its own: a Ctrl-C at the terminal reaches flaskship, which decides, and
    # never kills the `down` that cleans up after it.
    proc = subprocess.Popen([*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environment(env), start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                stopped = stop is not None and stop.is_set()
                if not stopped and time.monotonic() < deadline:
                    continue
                # Either way compose is ended below, as on any exception.
                if stopped:
                    raise SmokeFailed(f"{target}: compose {args[0]} stopped") from None
                raise SmokeFailed(f"{target}: `{' '.join(cmd[:2])} {args[0]}` did not finish within {timeout:g} s"
                                  ) from None
    except BaseException:
        # Stopped, out of time, or a Ctrl-C, which reaches flaskship alone: compose, in its own
        # session, went on making the project's network and containers after the caller's cleanup
        # had run (a CI run found the network left). Ended first, so that the cleanup sees all it made.
        _kill(proc)
        raise
    if proc.returncode != 0:
        output = (err or out).strip().splitlines()
        raise SmokeFailed(f"{target}: compose {args[0]} failed: {output[-1] if output else 'no output'}",
                          "\n".join(output[-30:]))
    return out


def _kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL compose and anything it started in its session, and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it ended just now
    proc.communicate()


# Compose v1 as Debian and Ubuntu ship it (1.29, Python) imports distutils at its start
# (distutils.spawn, distutils.version). Where setuptools is installed, its .pth shim answers
# that import with setuptools' own copy, which loads pkg_resources first: 0.15-0.2 s of the
# program's 0.45 s start, measured here, on the path of every stack smoke and `invoke up` bring
# up. Where the program's Python still has distutils of its own (3.11 and older; the package
# depends on it), setuptools' switch for this, SETUPTOOLS_USE_DISTUTILS=stdlib, gives it that
# one, as the package was built for. It is set only after `version` worked under it, and never
# over a value of the user's.
STDLIB_DISTUTILS = {"SETUPTOOLS_USE_DISTUTILS": "stdlib"}


@lru_cache(maxsize=1)
def program_env() -> dict[str, str]:
    """What the compose program itself runs with, beyond the caller's environment."""
    found = command()
    path = shutil.which(found[0])
    if len(found) != 1 or path is None or "SETUPTOOLS_USE_DISTUTILS" in os.environ:
        return {}
    return dict(STDLIB_DISTUTILS) if _works(found, path, STDLIB_DISTUTILS, remember_no=True) else {}


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a compose command: the caller's, over program_env()."""
    return {**program_env(), **env}


def _works(candidate: tuple[str, ...], path: str, extra: Mapping[str, str] | None = None,
           remember_no: bool = False) -> bool:
    """`<candidate> version` succeeds (`path`: where its program is), with `extra` in its
    environment. A standalone program's answer is kept per executable (path, size, mtime),
    its `#!` interpreter and `extra`: v1's probe is a Python start, 0.4 s of every smoke
    (measured). A success always; a failure only with `remember_no` (the switch above: a
    compose that is missing now may be installed by the next run). `docker compose` is
    always asked (14 ms): its plugin can go while the docker binary stays the same."""
    marks: dict[bool, Path] = {}
    extra = dict(extra or {})
    if len(candidate) == 1:
        parts = [*_identity(path), *_identity(_interpreter(path)), repr(sorted(extra.items()))]
        key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
        folder = user_cache("compose")
        if folder is not None:
            marks = {True: folder / f"{key}.ok", False: folder / f"{key}.no"}
        for verdict, mark in marks.items():
            if mark.is_file():
                return verdict
    works = subprocess.run([*candidate, "version"], capture_output=True, text=True,
                           env={**os.environ, **extra}).returncode == 0
    if marks and (works or remember_no):
        marks[works].touch()
    return works


def _identity(path: str | None) -> list[str]:
    """A program file as part of a cache key: its real path, size and mtime."""
    if path is None:
        return [""]
    try:
        info = os.stat(path)
    except OSError:
        return [path]
    return [os.path.realpath(path), str(info.st_size), str(info.st_mtime_ns)]


def _interpreter(path: str) -> str | None:
    """The program's `#!` interpreter (compose v1's python3), or None for a binary: whether
    the switch works depends on that Python, not on the script."""
    try:
        with open(path, "rb") as program:
            first = program.readline(256)
    except OSError:
        return None
    words = first[2:].decode("utf-8", "replace").split() if first.startswith(b"#!") else []
    if len(words) > 1 and os.path.basename(words[0]) == "env":
        return shutil.which(words[1])
    return words[0] if words else None
