"""Trimming build/.cache: what no build has used for days goes, checked at most once a day.

Every cache here gains an entry when the app or its dependencies change, and
nothing else ever took them away: the .pyc cache (pycache.py) an entry per
edited file; the venv cache (venv.py) a 2-4 MB tar per change of the
requirements, with its SBOM (sbom.py); a package app a wheel of its own per edit
(wheelhouse.py); each requirement set a wheelhouse, a resolved lock (build/lock.py,
hashpins.py) and new wheels in its runtime's store (reuse.py); an sdist its
wheel (fromsource.py); a compose file's shape its schema verdict. Go's build
cache sets the pattern this follows: an entry's modification time is its last
use, refreshed at most once an hour so that a hit costs no write; entries unused
for five days are deleted; and the trim itself runs at most once a day, after a
build that succeeded, so a build pays one stat of a stamp file per area for it.

The venv tars are hard-linked into the build contexts, whose times the no-op
check reads, so their last use is kept on a file of its own, in `.used/`, and
one still linked from a build folder is never taken; a wheel in a runtime's
store is in use while a wheelhouse links it. A trim never removes what a build
is making now (names starting with a dot, for a day), and runs only while no
other build of the project does (building()'s lock).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

UNUSED = 5 * 86400  # Go: "deletes cached data that has not been used recently" (five days)
EVERY = 86400  # a trim at most once a day
REFRESH = 3600  # a last use is written back at most once an hour


@dataclass(frozen=True)
class Area:
    """A part of build/.cache whose entries are trimmed."""

    folder: str  # relative to build/.cache, "." for the cache itself; "name-*": each such folder
    prefix: str = ""  # only the entries named so (the cache itself holds other things too)
    # A file with other links is in use (a build folder links a venv tar, a wheelhouse
    # a store's wheel), except in a wheelhouse, which is made of links to its store:
    # it goes by its own last use.
    links_in_use: bool = True
    # Besides "." + prefix, the dot names of this area's entries in the making (a build
    # killed half-way leaves them), removed once a day old.
    making: tuple[str, ...] = ()


TRIMMED = (
    Area("pyc"), Area("venvs"), Area("sbom"), Area("locks"), Area("sdist-wheels"),
    Area(".", "app-wheel-"), Area(".", "url-"), Area(".", "constraints-"), Area(".", "compose-schema-"),
    Area(".", "wheels-", links_in_use=False, making=(".partial-", ".requirements-", ".sdist-", ".wheel-pythons.json.")),
    Area(".", "init-venv-", making=(".init-src-",)),
    # After the wheelhouses: a wheel that none of them links any more is unused.
    Area("wheel-store-*"),
)
STAMP = ".trimmed"
USED = ".used"
LOCK = "trim.lock"  # not a dot name: those are what a build is still making


def used(entry: Path, *, sidecar: bool = False) -> None:
    """Record that `entry` was used now: its own mtime, or with `sidecar` that of
    `.used/<name>` beside it (for an entry whose times must stay as they are)."""
    mark = entry.parent / USED / entry.name if sidecar else entry
    try:
        try:
            if time.time() - mark.stat().st_mtime < REFRESH:
                return
            os.utime(mark)
        except FileNotFoundError:
            if sidecar:
                mark.parent.mkdir(exist_ok=True)
                mark.touch()
    except OSError:  # a cache it may read but not write: the entry is only trimmed sooner
        pass


@contextmanager
def building(cache: Path) -> Iterator[Callable[[], None]]:
    """Held for a whole build, shared with the project's other builds; yields the trim to
    call once the build has succeeded. That trim runs only if it can hold the lock alone,
    when no other build of the project is running, so nothing it removes is between a
    build's look and its use; otherwise the next build trims. A cache folder that cannot
    be locked (read-only) is never trimmed, and never fails the build."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        handle = open(cache / LOCK, "a")  # noqa: SIM115 (held past this block, closed below)
    except OSError:
        yield lambda: None
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)

        def trim_now() -> None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return
            after_build(cache)

        yield trim_now
    finally:
        handle.close()  # and with it the lock


def after_build(cache: Path) -> None:
    """Trim each of TRIMMED in `cache` (build/.cache), once a day. Housekeeping never
    fails the build it follows: what cannot be removed now is tried again tomorrow."""
    for area in TRIMMED:
        try:
            folders = sorted(cache.glob(area.folder)) if "*" in area.folder else [cache / area.folder]
            for folder in folders:
                trim(folder, prefix=area.prefix, links_in_use=area.links_in_use, making=area.making)
        except OSError:
            pass


def trim(folder: Path, now: float | None = None, prefix: str = "", links_in_use: bool = True,
         making: tuple[str, ...] = ()) -> list[str]:
    """Delete the entries of `folder` (those named `prefix`...) unused for UNUSED seconds,
    unless it was trimmed within EVERY seconds; return their names.

    A file with other links is in use whatever its times say: a venv tar that a build
    folder links (the no-op check, which never marks it, keeps those builds valid).
    An entry goes by a rename first, so a reader finds it whole or not at all; one
    marked used meanwhile is put back. What a killed build left half-made (a dot name)
    goes after a day."""
    now = time.time() if now is None else now
    stamp = folder / (STAMP + (f"-{prefix.rstrip('-')}" if prefix else ""))
    try:
        if now - stamp.stat().st_mtime < EVERY:
            return []
    except FileNotFoundError:
        if not folder.is_dir():
            return []
    marks = folder / USED
    removed = []
    try:
        for entry in sorted(folder.iterdir()):
            try:
                if entry.name.startswith(("." + prefix, f".trash-{prefix}", *making)) and \
                        not entry.name.startswith((USED, STAMP)):
                    if now - entry.lstat().st_mtime >= EVERY:  # left by a killed build
                        _remove(entry)
                elif entry.name.startswith(prefix) and not entry.name.startswith("."):
                    if _unused(entry, marks / entry.name, now, links_in_use) and \
                            _take(entry, marks / entry.name, now):
                        removed.append(entry.name)
            except OSError:
                continue  # the next trim tries again
        if marks.is_dir():  # marks whose entry went some other way
            for mark in marks.iterdir():
                if not (folder / mark.name).exists():
                    mark.unlink(missing_ok=True)
    finally:
        stamp.touch()
        os.utime(stamp, (now, now))
    return removed


def _unused(entry: Path, mark: Path, now: float, links_in_use: bool = True) -> bool:
    if entry.is_symlink() or not links_in_use:
        return now - _last_use(entry, mark) >= UNUSED
    files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file() and not p.is_symlink()]
    if any(path.stat().st_nlink > 1 for path in files):  # linked from a build folder: in use
        return False
    return now - _last_use(entry, mark) >= UNUSED


def _take(entry: Path, mark: Path, now: float) -> bool:
    """Remove `entry` unless it is marked used while it is moved aside."""
    trash = entry.with_name(f".trash-{entry.name}-{os.getpid()}")
    os.rename(entry, trash)
    if now - _last_use(trash, mark) < UNUSED:
        os.rename(trash, entry)
        return False
    _remove(trash)
    mark.unlink(missing_ok=True)
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _last_use(entry: Path, mark: Path) -> float:
    """The newer of the entry's own mtime (when it was made) and its mark's."""
    times = []
    for path in (entry, mark):
        try:
            times.append(path.stat(follow_symlinks=False).st_mtime)
        except FileNotFoundError:
            pass
    return max(times, default=0.0)
