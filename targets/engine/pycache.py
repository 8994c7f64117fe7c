"""The app's .pyc files, kept on the host by what makes them, so that each is compiled once.

Where the host's Python is not the base's, compiling takes a container of the
base (engine/bytecode.py): about 0.25 s and a container's CPU, once per image
before this, four times over for the same app files on a build of the demo's
four targets, and again four times after a one-line edit. A .pyc is a function
of the source's bytes, the path it is compiled as (co_filename: the image's,
`dest`), the Python that compiles it and the invalidation mode; keyed by those
and the base image's id, it is the same file for every target that ships the
file. Targets that build side by side share the work too: a file another
thread is compiling right now is waited for, not compiled again.

flaskship's own `.flaskship/` (gunicorn's settings, different on each
platform) is left out: gunicorn's master compiles its config once at start,
about 1.6 ms, and leaving it out lets targets of different kinds need no
container of their own for it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

OWN = ".flaskship"
NONE = b""  # a file that does not compile (best effort, as compileall || true): no .pyc, known

_lock = threading.Lock()
_running: dict[str, threading.Event] = {}  # key -> set once its owner has stored it, or given up


def sources(src: Path) -> list[Path]:
    """The .py files under `src` that get a .pyc, relative to it."""
    return sorted(p.relative_to(src) for p in src.rglob("*.py") if p.is_file() and p.relative_to(src).parts[0] != OWN)


def pyc_path(src: Path, relative: Path, tag: str) -> Path:
    """Where the image's Python looks for `relative`'s .pyc (PEP 3147), `tag` e.g. cpython-312."""
    return src / relative.parent / "__pycache__" / f"{relative.stem}.{tag}.pyc"


def reuse(src: Path, cache: Path, salt: str, tag: str, compile_some: Callable[[list[Path]], None]) -> None:
    """Give every source under `src` its .pyc: from `cache`, else by `compile_some(relative
    paths)` (which leaves their .pyc files in `src`) for those no thread is compiling now."""
    keys = {relative: _key(salt, relative, (src / relative).read_bytes()) for relative in sources(src)}
    mine, theirs = _claim([k for k in keys.values() if not (cache / k).exists()])
    try:
        owned = [relative for relative, key in keys.items() if key in mine]
        if owned:
            compile_some(owned)
            for relative in owned:
                made = pyc_path(src, relative, tag)
                _store(cache / keys[relative], made.read_bytes() if made.exists() else NONE)
    finally:
        _release(mine)
    for event in theirs.values():
        event.wait()
    # Another thread's work that did not reach the cache (it failed): this one's to do.
    missing = [relative for relative, key in keys.items() if key in theirs and not (cache / key).exists()]
    if missing:
        compile_some(missing)
    for relative, key in keys.items():
        stored = cache / key
        if relative not in missing and stored.exists() and (data := stored.read_bytes()) != NONE:
            target = pyc_path(src, relative, tag)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def _key(salt: str, relative: Path, data: bytes) -> str:
    digest = hashlib.sha256(f"{salt}\0{relative.as_posix()}\0".encode())
    digest.update(data)
    return digest.hexdigest()


def _claim(keys: list[str]) -> tuple[set[str], dict[str, threading.Event]]:
    """(the keys this thread compiles, the events of those another thread is compiling)."""
    mine: set[str] = set()
    theirs: dict[str, threading.Event] = {}
    with _lock:
        for key in keys:
            if key in _running:
                theirs[key] = _running[key]
            elif key not in mine:
                _running[key] = threading.Event()
                mine.add(key)
    return mine, theirs


def _release(keys: set[str]) -> None:
    with _lock:
        for key in keys:
            _running.pop(key).set()


def _store(path: Path, data: bytes) -> None:
    """Written whole or not at all: another process may read it at any time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
