"""Trimming build/.cache: what no build has used for days goes, checked at most once a day.

The .pyc cache (pycache.py) gains an entry per edited file and the venv cache
(venv.py) a 2-4 MB tar per change of the requirements; nothing else ever took
them away. Go's build cache sets the pattern this follows: an entry's
modification time is its last use, refreshed at most once an hour so that a
hit costs no write; entries unused for five days are deleted; and the trim
itself runs at most once a day, after a build that succeeded, so a build
pays one stat of a stamp file for it.

The venv tars are hard-linked into the build contexts, whose times the no-op
check reads, so their last use is kept on a file of its own, in `.used/`.
A trim never removes what a build is making (names starting with a dot).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

UNUSED = 5 * 86400  # Go: "deletes cached data that has not been used recently" (five days)
EVERY = 86400  # a trim at most once a day
REFRESH = 3600  # a last use is written back at most once an hour
FOLDERS = ("pyc", "venvs")  # of build/.cache: the ones that grow with every edit or lock change
STAMP = ".trimmed"
USED = ".used"


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


def after_build(cache: Path) -> None:
    """Trim each of FOLDERS in `cache` (build/.cache), once a day. Housekeeping never
    fails the build it follows: what cannot be removed now is tried again tomorrow."""
    for name in FOLDERS:
        try:
            trim(cache / name)
        except OSError:
            pass


def trim(folder: Path, now: float | None = None) -> list[str]:
    """Delete the entries of `folder` unused for UNUSED seconds, unless it was trimmed
    within EVERY seconds; return their names."""
    now = time.time() if now is None else now
    stamp = folder / STAMP
    try:
        if now - stamp.stat().st_mtime < EVERY:
            return []
    except FileNotFoundError:
        if not folder.is_dir():
            return []
    marks = folder / USED
    removed = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if now - _last_use(entry, marks / entry.name) >= UNUSED:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            (marks / entry.name).unlink(missing_ok=True)
            removed.append(entry.name)
    if marks.is_dir():  # marks whose entry went some other way
        for mark in marks.iterdir():
            if not (folder / mark.name).exists():
                mark.unlink(missing_ok=True)
    stamp.touch()
    os.utime(stamp, (now, now))
    return removed


def _last_use(entry: Path, mark: Path) -> float:
    """The newer of the entry's own mtime (when it was made) and its mark's."""
    times = []
    for path in (entry, mark):
        try:
            times.append(path.stat(follow_symlinks=False).st_mtime)
        except FileNotFoundError:
            pass
    return max(times, default=0.0)
