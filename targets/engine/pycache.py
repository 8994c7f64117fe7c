"""The app's .pyc files, kept on the host by what makes them, so that each is compiled once.

Where the host's Python is not the base's, compiling takes a container of the
base (engine/bytecode.py): about 0.25 s and a container's CPU, once per image
before this, four times over for the same app files on a build of the demo's
four targets, and again four times after a one-line edit (each kind's own
gunicorn settings differ, so a first build still takes a container per kind). A .pyc is a function
of the source's bytes, the path it is compiled as (co_filename: the image's,
`dest`), the Python that compiles it and the invalidation mode; keyed by those
and the base image's id, it is the same file for every target that ships the
file. Targets that build side by side share the work too: a file another
thread is compiling right now is waited for, not compiled again.

Each key's entry is a folder holding the .pyc the container made, under the
name it gave it (its Python's own cache tag), or nothing for a file the
container named as not compiling (best effort, as `compileall || true` was).
A container that failed (killed, out of memory) leaves nothing kept. An entry
unused for days is trimmed after a build (trim.py); each use here refreshes it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from .. import trim

# Part of every key: a change in how the files are compiled makes new ones.
VERSION = "compileall --invalidation-mode checked-hash, 1"

_lock = threading.Lock()
_running: dict[str, threading.Event] = {}  # key -> set once its owner has stored it, or given up


def sources(src: Path) -> list[Path]:
    """The .py files under `src` (what compileall compiles), relative to it."""
    return sorted(p.relative_to(src) for p in src.rglob("*.py") if p.is_file())


def made(src: Path, relative: Path) -> list[Path]:
    """The .pyc files a Python made for `relative` in `src` (PEP 3147: `<stem>.<cache tag>[.opt-N].pyc`)."""
    folder = src / relative.parent / "__pycache__"
    name = re.compile(rf"{re.escape(relative.stem)}\.[A-Za-z]+-?\d+(\.opt-\d+)?\.pyc")
    return sorted(p for p in folder.glob("*.pyc") if name.fullmatch(p.name)) if folder.is_dir() else []


def reuse(src: Path, cache: Path, salt: str, compile_some: Callable[[list[Path]], set[Path] | None]) -> None:
    """Give every source under `src` its .pyc: from `cache`, else by `compile_some(relative
    paths)` for those no thread is compiling now. It leaves their .pyc files in `src` and
    returns those that do not compile, or None when it failed as a whole (nothing is kept)."""
    keys = {relative: _key(salt, relative, (src / relative).read_bytes()) for relative in sources(src)}
    mine, theirs = _claim(keys.values(), cache)
    owned = [relative for relative, key in keys.items() if key in mine]
    try:
        failed = compile_some(owned) if owned else None
        if failed is not None:
            for relative in owned:
                # A file with no .pyc that was not named as not compiling: nothing known, nothing kept.
                if (files := made(src, relative)) or relative in failed:
                    _store(cache / keys[relative], files)
    finally:
        _release(mine)
    for event in theirs.values():
        event.wait()
    # Another thread's work that did not reach the cache (it failed): this one's to do.
    missing = [relative for relative, key in keys.items() if key in theirs and not (cache / key).is_dir()]
    if missing:
        compile_some(missing)
    here = {*owned, *missing}  # compiled here, in place
    gone = []
    for relative, key in keys.items():
        if relative in here:
            continue
        try:
            for pyc in (cache / key).iterdir():
                target = src / relative.parent / "__pycache__" / pyc.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(pyc, target)
            trim.used(cache / key)
        except FileNotFoundError:  # trimmed by another process's build since it was seen
            gone.append(relative)
    if gone:
        compile_some(gone)


def _key(salt: str, relative: Path, data: bytes) -> str:
    digest = hashlib.sha256(f"{VERSION}\0{salt}\0{relative.as_posix()}\0".encode())
    digest.update(data)
    return digest.hexdigest()


def _claim(keys: Iterable[str], cache: Path) -> tuple[set[str], dict[str, threading.Event]]:
    """(the keys this thread compiles, the events of those another thread is compiling).
    Under the lock: an owner stores its entries before it releases their keys."""
    mine: set[str] = set()
    theirs: dict[str, threading.Event] = {}
    with _lock:
        for key in keys:
            if key in _running:
                theirs[key] = _running[key]
            elif not (cache / key).is_dir():
                _running[key] = threading.Event()
                mine.add(key)
    return mine, theirs


def _release(keys: set[str]) -> None:
    with _lock:
        for key in keys:
            _running.pop(key).set()


def _store(entry: Path, files: list[Path]) -> None:
    """The entry whole or not at all: another process may read it at any time."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        for pyc in files:
            shutil.copyfile(pyc, tmp / pyc.name)
        os.rename(tmp, entry)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):  # not another process's copy of it, stored first
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
