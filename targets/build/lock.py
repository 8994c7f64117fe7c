"""One hashed lock per build: every target installs from it, the functions zip ships it.

An app's requirements file usually pins only what it imports (`Flask==3.1.3`);
left to pip, the rest floats between machines and between the images of one
build. So a file without hashes is resolved once, on the host, by
`uv pip compile --universal --generate-hashes` (what pip-compile writes, in a
second), into the union lock: the app plus every platform's server (pins.py).
Each target's text is then compiled again with that union as constraints, so
it holds only what its own platform installs and every version is the union's.

Universal: the lock keeps each line's environment marker and holds for every
Python from `floor` on (the lowest that any target can run: defaults.python,
a base image's, the stand-ins' Debian Python), on any platform; each image and
the platform itself evaluate the markers for their own Python when installing.

Locks are kept in build/.cache/locks/ by the content of everything resolved
(the files, the platform lines, the floor): builds agree until an input changes.
Delete the folder to take newer releases. A requirement pip cannot hash-check
(a local folder) leaves the file unlocked, as written; `locked()` then says why.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .. import trim
from ..engine.standin_python import BASE_PYTHON, DEBIAN_PYTHON
from ..errors import BuildFailed
from ..files import atomic_write
from ..pins import FUNCTIONS_FRAMEWORK, GUNICORN
from . import pyproject
from .lockfiles import uv_compile
from .reqlines import Expanded

# Every platform line any kind adds (each kind's are in kinds/__init__.py): a build's
# union lock holds those of the manifest's kinds, so no two of its targets can
# disagree on a version they share.
PLATFORMS = (GUNICORN, FUNCTIONS_FRAMEWORK)
# A stand-in base image is Debian bookworm's python3 where the host has no build of the
# version it stands in for (engine/standin_python.py): the lock must install there too.
STANDIN_PYTHON = DEBIAN_PYTHON
KNOWN = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
VERSION = 1  # of the lock's shape; part of every cache key


def union_of(sets: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """The platform lines of `sets` (each kind's, kinds/__init__.py), in PLATFORMS' order."""
    wanted = {line for lines in sets for line in lines}
    return tuple(line for line in PLATFORMS if line in wanted)


def floor(python: str, bases: list[str]) -> str:
    """The lowest Python any target may run: `python`, a base named python:X..., the stand-ins'."""
    return min(STANDIN_PYTHON, own_floor(python, bases), key=_tuple)


def own_floor(python: str, bases: list[str]) -> str:
    """The lowest Python the manifest names: `python`, a base named python:X...

    The lock is tried for floor() first, so that it installs on a stand-in that is
    Debian's Python too; an app whose dependencies need newer (Django 6.0 needs 3.12)
    is locked for its own Python instead, and only such a stand-in then cannot take it."""
    return min([python, *(m.group("version") for b in bases if (m := BASE_PYTHON.search(b)))], key=_tuple)


def lockable(expanded: Expanded, app_dir: Path) -> str | None:
    """None if uv can lock the file with hashes, else why not."""
    for entry in expanded.entries:
        if entry.kind == "path" and (app_dir / entry.spec).is_dir():
            return f"{entry.where} installs the folder {entry.spec}, which pip's hash-checking mode cannot install"
    return None


def compile_app(app_dir: Path, source: str, extra: tuple[str, ...], expanded: Expanded, python: str,
                cache: Path, where: str, union: tuple[str, ...] = PLATFORMS) -> str:
    """The target's lock text: `source` (a requirements file relative to app_dir, '.' for the
    app's pyproject.toml as a package, or 'pyproject.toml' for an application's dependencies
    listed there: build/pyproject.py) and `extra`, pinned and hashed, constrained by the union lock
    of `union` (PLATFORMS as this app installs them: build/serverpins.py)."""
    python = _requires_python(app_dir, source, python)
    options = tuple(e.spec for e in expanded.index)
    key = _key(app_dir, source, expanded, python)
    whole = _compile(app_dir, source, union, "", options, python, cache, key, where)
    if set(extra) == set(union):
        return whole
    return _compile(app_dir, source, extra, pins(whole), options, python, cache, key, where,
                    doing=f"locking {', '.join(extra)} within that lock")


def pins(lock: str) -> str:
    """A lock's requirement lines without hashes: constraints for a narrower lock."""
    lines = [line.rstrip(" \\") for line in lock.splitlines()
             if line.strip() and not line[:1].isspace() and not line.startswith(("#", "-"))]
    return "".join(f"{line}\n" for line in lines if line != "." and not line.startswith(("./", "-e")))


def _key(app_dir: Path, source: str, expanded: Expanded, python: str) -> str:
    """Everything the resolution reads: the files as expanded, each -c file, the project's metadata files."""
    parts = [str(VERSION), source, python, *(e.raw for e in (*expanded.entries, *expanded.index))]
    for entry in expanded.entries:
        if entry.kind == "constraint":
            parts.append((app_dir / entry.spec).read_text(encoding="utf-8"))
    if source in (".", pyproject.NAME) or any(e.kind == "self" for e in expanded.entries):
        parts += [(app_dir / name).read_text(encoding="utf-8") for name in ("pyproject.toml", "setup.py", "setup.cfg")
                  if (app_dir / name).is_file()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


# Locks uv could not make in this process, by name: not made again for the next target (as
# fromsource._failed). Not kept on disk: an index may have the missing release tomorrow.
_failed: dict[str, tuple[str, BuildFailed]] = {}


def _compile(app_dir: Path, source: str, extra: tuple[str, ...], constraints: str, options: tuple[str, ...],
             python: str, cache: Path, key: str, where: str, doing: str = "") -> str:
    name = hashlib.sha256("\0".join([key, *extra, constraints]).encode()).hexdigest()[:20]
    kept = cache / "locks" / f"{name}.txt"
    if kept.is_file():
        trim.used(kept)
        return kept.read_text(encoding="utf-8")
    if name in _failed:  # each target of a build locks every set: one uv run says it, for each
        said, exc = _failed[name]
        raise BuildFailed(exc.message.replace(said, where, 1), exc.detail)
    with tempfile.TemporaryDirectory(prefix="flaskship-lock-") as tmp:
        # Outside build/: index options may name ${VAR}s, which uv expands in memory.
        platform, pinned = Path(tmp) / "platform.in", Path(tmp) / "union.txt"
        platform.write_text("".join(f"{line}\n" for line in extra), encoding="utf-8")
        pinned.write_text(constraints, encoding="utf-8")
        own = [str(Path(tmp) / "self.in")] if source == "." else [source]
        if source == ".":
            Path(own[0]).write_text(".\n", encoding="utf-8")
        # cwd app_dir: `.` and relative paths are the app's, and uv writes them back relative.
        args = ["--python-version", python, "--no-strip-markers", "-c", str(pinned), *own, str(platform)]
        try:
            text = uv_compile(args, where=where, options=options, cwd=app_dir,
                              doing=doing or f"locking the dependencies for Python >= {python}",
                              failed=f"cannot lock the dependencies with {', '.join(extra)} for Python >= {python}")
        except BuildFailed as exc:
            exc.message += _own_server_pin(exc.message, extra)
            _failed[name] = (where, exc)
            raise
    kept.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(kept, text)
    return text


def _own_server_pin(message: str, extra: tuple[str, ...]) -> str:
    """The way on when uv says the app itself depends on another release of a server flaskship
    pins: its requirements name none that flaskship could read (a setup.py builds it at run time,
    and build/setupmeta.py reads only its literals)."""
    for line in extra:
        server, _, version = line.partition("==")
        if version and re.search(rf"depends on {re.escape(server)}\s*[=<>!~]", message, re.IGNORECASE):
            return (f"; where the app's own package pins {server} (in a setup.py, made at run time, which flaskship does not run), "
                    f"name that pin in the requirements file as well: flaskship then locks {server} within the "
                    "releases its settings are tested on")
    return ""


def _requires_python(app_dir: Path, source: str, python: str) -> str:
    """`python`, or the lowest Python the app's own requires-python allows when that is newer."""
    if source not in (".", pyproject.NAME):
        return python
    try:
        spec = pyproject.tables(app_dir / pyproject.NAME)["project"]["requires-python"]
        allowed = SpecifierSet(str(spec))
    except (OSError, KeyError, TypeError, ValueError, InvalidSpecifier):
        return python
    newer = [v for v in KNOWN if _tuple(v) >= _tuple(python) and any(allowed.contains(f"{v}.{p}") for p in range(30))]
    return newer[0] if newer and not any(allowed.contains(f"{python}.{p}") for p in range(30)) else python


def _tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
