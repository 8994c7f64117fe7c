"""Trimming build/.cache: what no build has used for days goes, checked at most once a day.

Every cache here gains an entry when the app or its dependencies change, and
nothing else ever took them away: the .pyc cache (engine/pycache.py) an entry
per edited file; the venv cache (engine/venv.py) a 2-4 MB tar per change of the
requirements, with its SBOM (engine/sbom.py); a package app a wheel of its own
per edit (engine/wheelhouse.py); each requirement set a wheelhouse and new
wheels in its runtime's store (engine/reuse.py); an sdist its wheel
(engine/fromsource.py); app.build its output per change of the code
(build/appbuild.py); a compose file's shape its schema verdict; `invoke
init` a probe venv. Go's build cache sets the pattern this follows: an entry's
modification time is its last use, refreshed at most once an hour so that a
hit costs no write; entries unused for five days are deleted; and the trim
itself runs at most once a day, after a build that succeeded, so a build pays
one stat of a stamp file per area for it. The resolved locks stay (TRIMMED).

The venv tars are hard-linked into the build contexts, whose times the no-op
check reads, so their last use is kept on a file of its own, in `.used/`, and
one still linked from a build folder is never taken. A trim never removes what
a run is making now (names starting with a dot, for a day), and runs only while
nothing else of the project uses the cache (building() and holding()'s lock).
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
from typing import IO

UNUSED = 5 * 86400  # Go: "deletes cached data that has not been used recently" (five days)
EVERY = 86400  # a trim at most once a day
REFRESH = 3600  # a last use is written back at most once an hour


@dataclass(frozen=True)
class Area:
    """A part of build/.cache whose entries are trimmed."""

    folder: str  # relative to build/.cache, "." for the cache itself; "name-*": each such folder
    prefix: str = ""  # only the entries named so (the cache itself holds other things too)
    # A file with other links is in use (a build folder links a venv tar or an sdist's
    # wheel), except where links are the point: a wheelhouse is links to its runtime's
    # store, and a store wheel is linked by wheelhouses, build folders and sdist slots.
    # Those go by their own last use; removing one link never takes another's bytes.
    links_in_use: bool = True


# Not locks/: a lock is what every build resolves to until its inputs change (build/lock.py),
# not a copy of something: trimmed, an unused week would quietly take newer releases.
TRIMMED = (
    Area("pyc"), Area("venvs"), Area("app-build"), Area("sbom"), Area("sdist-wheels"),
    Area(".", "app-wheel-"), Area(".", "own-wheel-"), Area(".", "url-"), Area(".", "constraints-"), Area(".", "compose-schema-"),
    Area(".", "init-venv-"), Area(".", "wheels-", links_in_use=False), Area("wheel-store-*", links_in_use=False),
)
LEFTOVERS = ".trimmed-leftovers"
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
    when nothing else of the project uses the cache (holding()), so nothing it removes is
    between a build's look and its use; otherwise the next build trims. A cache folder
    that cannot be locked (read-only) is never trimmed, and never fails the build."""
    with _shared(cache) as handle:

        def trim_now() -> None:
            if handle is None:
                return
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return
            after_build(cache)

        yield trim_now


@contextmanager
def holding(cache: Path) -> Iterator[None]:
    """What else uses the cache (smoke's service stand-ins, base-images, init's probe venv)
    holds it shared too: no trim runs meanwhile."""
    with _shared(cache):
        yield


@contextmanager
def _shared(cache: Path) -> Iterator[IO[str] | None]:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        handle = open(cache / LOCK, "a")  # noqa: SIM115 (held past this block, closed below)
    except OSError:
        yield None
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)
        yield handle
    finally:
        handle.close()  # and with it the lock


def after_build(cache: Path) -> None:
    """Trim each of TRIMMED in `cache` (build/.cache), once a day. Housekeeping never
    fails the build it follows: what cannot be removed now is tried again tomorrow."""
    for area in TRIMMED:
        try:
            folders = sorted(cache.glob(area.folder)) if "*" in area.folder else [cache / area.folder]
            for folder in folders:
                trim(folder, prefix=area.prefix, links_in_use=area.links_in_use)
        except OSError:
            pass
    try:
        leftovers(cache)
    except OSError:
        pass


def leftovers(cache: Path, now: float | None = None) -> list[str]:
    """What a killed run left half-made in the cache itself (a dot name: a wheelhouse's
    .partial-*, an SBOM's .sbom-*, a lock's .locked-* ...) once it is a day old, looked for
    once a day; the names removed."""
    now = time.time() if now is None else now
    stamp = cache / LEFTOVERS
    if not _due(stamp, now):
        return []
    removed = []
    try:
        for entry in sorted(cache.iterdir()):
            try:
                if entry.name.startswith(".") and _half_made(entry, now):
                    _remove(entry)
                    removed.append(entry.name)
            except OSError:
                continue
    finally:
        _looked(stamp, now)
    return removed


def trim(folder: Path, now: float | None = None, prefix: str = "", links_in_use: bool = True) -> list[str]:
    """Delete the entries of `folder` (those named `prefix`...) unused for UNUSED seconds,
    unless it was trimmed within EVERY seconds; return their names.

    A file with other links is in use whatever its times say: a venv tar that a build
    folder links (the no-op check, which never marks it, keeps those builds valid).
    An entry goes by a rename first, so a reader finds it whole or not at all; one
    marked used meanwhile is put back. What a killed build left half-made (a dot name)
    goes after a day."""
    now = time.time() if now is None else now
    stamp = folder / (STAMP + (f"-{prefix.rstrip('-')}" if prefix else ""))
    if not _due(stamp, now):
        return []
    marks = folder / USED
    removed = []
    try:
        for entry in sorted(folder.iterdir()):
            try:
                if entry.name.startswith(("." + prefix, f".trash-{prefix}")):
                    if _half_made(entry, now):  # left by a killed build (never a stamp or the marks)
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
        _looked(stamp, now)
    return removed


def _half_made(entry: Path, now: float) -> bool:
    """A dot entry (not a stamp, not the marks) a day old: left by a killed run, not one making it now."""
    return not entry.name.startswith((STAMP, USED)) and now - entry.lstat().st_mtime >= EVERY


def _looked(stamp: Path, now: float) -> None:
    """Its folder was looked through at `now` (see _due)."""
    stamp.touch()
    os.utime(stamp, (now, now))


def _due(stamp: Path, now: float) -> bool:
    """Whether the folder of `stamp` (which must exist) was last looked through a day ago or more."""
    try:
        return now - stamp.stat().st_mtime >= EVERY
    except FileNotFoundError:
        return stamp.parent.is_dir()


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
