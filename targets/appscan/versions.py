"""Which Python the app wants, from the files the ecosystem already reads.

First found wins: `.python-version` (pyenv, uv, buildpacks), `runtime.txt`
(Heroku's `python-3.11.7`), `requires-python` in pyproject.toml's [project]
(the newest of 3.10-3.13 it allows), else flaskship's default. Only major.minor
is kept: base images are `python:<major.minor>-slim`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

DEFAULT = "3.12"
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
# `3.11`, `3.11.7`, `python-3.11.7`, `cpython-3.11` ; not `system` or `pypy3.10`.
_VERSION = re.compile(r"(?:c?python-?)?(3\.[0-9]{1,2})(?:\.[0-9]+)?(?:[a-z]+[0-9]*)?")


def _first_line(path: Path) -> str | None:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return None


def _from_file(path: Path) -> tuple[str | None, str]:
    """(version or None, what the file said) for .python-version and runtime.txt."""
    line = _first_line(path)
    match = _VERSION.fullmatch(line or "")
    return (match.group(1) if match else None), (line or "nothing")


def newest_allowed(spec: str) -> str | None:
    """The newest of SUPPORTED that `spec` allows (any patch release of it counts)."""
    specifier = SpecifierSet(spec)
    for version in reversed(SUPPORTED):
        if any(specifier.contains(f"{version}.{patch}", prereleases=True) for patch in range(0, 40)):
            return version
    return None


def _requires_python(pyproject: Path) -> str | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None  # deps.py says what is wrong with it
    value = data.get("project", {}).get("requires-python") if isinstance(data.get("project"), dict) else None
    return value if isinstance(value, str) else None


def python_version(app_dir: Path) -> tuple[str, str]:
    """(major.minor, why). A file that names no CPython 3.x version is passed over, and the why says so."""
    passed: list[str] = []
    for name in (".python-version", "runtime.txt"):
        path = app_dir / name
        if path.is_file():
            version, said = _from_file(path)
            if version:
                return version, f"{name} says {said}"
            passed.append(f"{name}'s {said!r} names no CPython 3.x version")
    spec = _requires_python(app_dir / "pyproject.toml") if (app_dir / "pyproject.toml").is_file() else None
    if spec is not None:
        try:
            version = newest_allowed(spec)
        except InvalidSpecifier:
            version, passed = None, passed + [f"requires-python {spec!r} is not a valid specifier"]
        else:
            if version:
                return version, f"the newest of {', '.join(SUPPORTED)} that pyproject.toml's requires-python {spec!r} allows"
            passed.append(f"requires-python {spec!r} allows none of {', '.join(SUPPORTED)}")
    reason = "; ".join(passed) if passed else "no .python-version, runtime.txt or requires-python"
    return DEFAULT, f"{reason}: flaskship's default"
