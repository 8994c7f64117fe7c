"""Wheels this host already holds for a lock's lines: no pip run for those.

One build resolves a wheelhouse per lock, and its locks share most lines: the
images' and the functions runtime's differ only by functions-framework's. So
every wheel a wheelhouse downloads for a runtime (a Python and its platform
tags) is also kept in that runtime's store, and a locked line takes a stored
wheel whose sha256 is one of the line's hashes: pip's own check, done here. A
line with no wheel for the target takes the wheel already built from its sdist
(fromsource.py keeps it by the sdist's sha256, which is one of the line's
hashes too). Only what is left goes to pip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .. import trim
from ..files import sha256_file
from . import fromsource
from .base_images import Runtime
from .builder import BuildBase
from .markers import Line


def store(cache_dir: Path, runtime: Runtime) -> Path:
    key = hashlib.sha256("\n".join([runtime.python, *runtime.platforms]).encode()).hexdigest()[:16]
    return cache_dir / f"wheel-store-{key}"


def keep(wheelhouse: Path, runtime: Runtime, cache_dir: Path) -> None:
    """Add a finished wheelhouse's wheels to its runtime's store (hard links)."""
    folder = store(cache_dir, runtime)
    folder.mkdir(parents=True, exist_ok=True)
    for wheel in wheelhouse.glob("*.whl"):
        _link(wheel, folder / wheel.name)  # already there (a concurrent build): the same file
        trim.used(folder / wheel.name, sidecar=True)  # not its mtime: build folders link the same file


def take(pending: list[Line], runtime: Runtime, sources: BuildBase | None, cache_dir: Path, dest: Path,
         progress: Callable[[str], None]) -> tuple[list[Line], list[str]]:
    """Link into `dest` every line's wheel this host already has; (the lines left, the specs
    among those taken whose wheel was compiled for `sources`)."""
    stored = _by_pin(store(cache_dir, runtime))
    left: list[Line] = []
    compiled: list[str] = []
    for line in pending:
        digests = [h.split(":", 1)[1] for h in line.hashes if h.startswith("--hash=sha256:")]
        wheel = next((w for w in stored.get(_pin(line.spec), []) if sha256_file(w) in digests), None)
        built = None if wheel is not None else fromsource.cached_wheel(digests, sources, cache_dir)
        if wheel is None and built is None:
            left.append(line)
            continue
        if built is not None:
            wheel, was_compiled = built
            if was_compiled:
                compiled.append(line.spec)
        assert wheel is not None
        _link(wheel, dest / wheel.name)
        if built is None:
            trim.used(wheel, sidecar=True)
    if compiled:
        fromsource.warn(compiled, runtime, progress, cache_dir)
    return left, compiled


def _link(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except FileExistsError:
        pass
    except OSError:
        shutil.copy2(source, dest)


def _pin(spec: str) -> tuple[str, str] | None:
    """(canonical name, normalized version) of `name==version`, else None."""
    try:
        requirement = Requirement(spec)
        pins = [str(Version(s.version)) for s in requirement.specifier if s.operator in ("==", "===")]
    except (InvalidRequirement, InvalidVersion):
        return None
    return (canonicalize_name(requirement.name), pins[0]) if len(pins) == 1 and not requirement.url else None


def _by_pin(folder: Path) -> dict[tuple[str, str] | None, list[Path]]:
    found: dict[tuple[str, str] | None, list[Path]] = {}
    for wheel in sorted(folder.glob("*.whl")) if folder.is_dir() else []:
        try:
            name, version, _, _ = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            continue
        found.setdefault((str(name), str(version)), []).append(wheel)
    found.pop(None, None)
    return found
