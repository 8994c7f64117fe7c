"""CPython installs on this host, by minor version: `python3.X` on PATH, then pyenv's versions.

Two users: init's probe venv runs the app on a Python its requires-python allows
(appscan/interpreter.py), and a python:X base image's local stand-in is built from
a relocatable install of X, copied to /usr/local as the official image has it
(engine/standin_python.py), so a build here runs the Python the manifest names.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


HOST = "{}.{}".format(*sys.version_info[:2])  # the Python running flaskship, major.minor


def programs(version: str) -> list[str]:
    """`python3.X` on PATH, then pyenv's installs of 3.X, newest first. Not pyenv's shim on
    PATH: it runs only the versions `pyenv global`/`local` selects and fails for the others,
    after 0.1 s of shell; the installs it leads to are in the versions folder anyway."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    path = shutil.which(f"python{version}")
    found = [path] if path and Path(path).parent != pyenv / "shims" else []
    root = pyenv / "versions"
    installs = sorted(root.glob(f"{version}.*/bin/python{version}"), key=lambda p: _patch(p.parent.parent.name),
                      reverse=True) if root.is_dir() else []
    return found + [str(p) for p in installs]


def _patch(name: str) -> int:
    tail = name.split(".")[2] if name.count(".") >= 2 else ""
    return int(tail) if tail.isdigit() else -1


def answers_as(program: str, version: str) -> bool:
    """The program runs, as that version (a pyenv shim of a version not installed fails here)."""
    major, minor = version.split(".")
    try:
        return subprocess.run([program, "-c", f"import sys; sys.exit(sys.version_info[:2] != ({major}, {minor}))"],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def answering(version: str) -> str | None:
    """The first of programs(version) that runs as that version, or None."""
    return next((program for program in programs(version) if answers_as(program, version)), None)


@dataclass(frozen=True)
class Install:
    """A CPython built from source into a prefix of its own (pyenv's, or /usr/local):
    bin/pythonX.Y, lib/pythonX.Y/ and its libpython, which move as one."""

    prefix: Path
    version: str  # "3.12"
    full: str  # "3.12.1"
    shared: bool  # built with --enable-shared: lib/libpythonX.Y.so.1.0 goes too


# What the candidate says of itself. A distribution's Python (Debian's /usr/bin/python3.11)
# spreads over /usr/lib/python3, dist-packages and more, so only a final release whose
# prefix holds its whole standard library qualifies.
ABOUT = ("import json, os, platform, sys, sysconfig; print(json.dumps([sys.base_prefix, platform.python_version(), "
         "sys.version_info.releaselevel, bool(sysconfig.get_config_var('Py_ENABLE_SHARED'))]))")


def relocatable(version: str) -> Install | None:
    """The newest install of `version` on this host that can be copied into an image, or None."""
    for program in programs(version):
        try:
            done = subprocess.run([program, "-c", ABOUT], capture_output=True, text=True, timeout=30)
            prefix, full, level, shared = json.loads(done.stdout)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            continue
        root = Path(prefix)
        if (done.returncode == 0 and level == "final" and full.startswith(f"{version}.") and root != Path("/usr")
                and (root / "lib" / f"python{version}" / "os.py").is_file()
                and (root / "bin" / f"python{version}").is_file()):
            return Install(root, version, full, bool(shared))
    return None
