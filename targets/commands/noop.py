"""The no-op fast path: nothing changed since the last build, proved without rendering.

A full no-op (build.py) renders every target and compares its key, which
needs the manifest model, Jinja and the Docker SDK: most of a second, mostly
imports. Like make and ninja, this checks first what the key is made from,
by `stat` alone, with the standard library only:

- the manifest's bytes, the DOCKER_HOST and the Python running the tool;
- every file under app.source and the tool's own folders (size, mtime,
  ctime, inode, mode: ctime changes with every write and cannot be set back);
- each selected target's build/<target>/ folder, by the same stat;
- each base image the key counted, still the same id in the engine, and
  each image the build made, still there (two inspect calls over the socket).

The stamp is taken before a full build starts and written only when that
build succeeded, so a file edited during a build is never taken as built.
Anything unusual (another engine transport, a manifest this cannot read)
falls back to the full check, which is always right.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import stat
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

STAMP = ".noop-stamp.json"
TOOL_ROOT = Path(__file__).resolve().parent.parent.parent
TOOL_DIRS = ("targets", "compose", "nginx")
SKIP_DIRS = frozenset({"__pycache__", ".git", ".pytest_cache"})
RACY_NS = 50_000_000  # 50 ms: far above any filesystem's timestamp tick


# Digests fed in one walk of the inputs, each with what it hashes of a file:
# False, its stat (snapshot()); True, its bytes and mode (contents()).
Digests = list[tuple[Any, bool]]


def _tree(digests: Digests, folder: Path, skip: frozenset[Path] = frozenset()) -> int:
    """Hash every file under `folder` into `digests`; return the newest mtime or ctime seen."""
    newest = 0
    for path, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and Path(path, d) not in skip)
        for name in sorted(files):
            newest = max(newest, _stat(digests, Path(path, name)))
    return newest


MAX_MANIFEST = 1 << 20  # as targets/manifest/document.py bounds it


def _raw(path: Path) -> bytes | None:
    """The manifest's bytes: only a regular file of a sane size (a FIFO would block,
    /dev/zero never end); anything else takes the full path, which says what is wrong."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_MANIFEST:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _manifest(path: Path, known: str | None = None) -> tuple[bytes, dict[str, Any]] | None:
    """Bytes and data. With `known` (the sha256 of a manifest a build validated), bytes
    that differ are never parsed: YAML from an unvalidated file (an alias bomb) is
    the full path's to refuse, within its bounds."""
    raw = _raw(path)
    if raw is None or (known is not None and hashlib.sha256(raw).hexdigest() != known):
        return None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError:
        return None
    return raw, data if isinstance(data, dict) else {}


def snapshot(manifest: str | Path) -> str | None:
    """What the inputs look like now, and when that was seen (None: no fast path for this manifest).

    A file written in the same clock tick as the snapshot could change again
    unseen (same size, same times): such an input is "racily clean", as git calls
    it, and the snapshot is refused, so the next build takes the full check."""
    return _inputs(manifest, False)[0]


def contents(manifest: str | Path) -> str | None:
    """The same inputs by their bytes and modes, not their times: what a file that was
    only touched (or written back as it was) leaves as it was. Asked only when the
    stat snapshot differs; the build's key hashes content too, so equal contents
    build nothing."""
    return _inputs(manifest, True)[0]


def before_build(manifest: str | Path) -> tuple[str | None, str | None]:
    """snapshot() and contents() from one walk of the inputs, for record()."""
    found = _inputs(manifest, False, True)
    return found[0], found[1]


def _inputs(manifest: str | Path, *kinds: bool) -> list[str | None]:
    """Per kind of digest (see Digests), the digest of everything a build reads; a stat
    digest is None when an input is racily clean. All None: no fast path for this manifest."""
    taken = time.time_ns()
    found = _walk(manifest, kinds)
    if found is None:
        return [None] * len(kinds)
    hexdigests, newest = found
    return [None if not content and newest >= taken - RACY_NS else hexdigest
            for hexdigest, content in zip(hexdigests, kinds, strict=True)]


def _walk(manifest: str | Path, kinds: tuple[bool, ...]) -> tuple[list[str], int] | None:
    """The digests of everything a build reads, and the newest time seen in it."""
    path = Path(manifest).resolve()
    read = _manifest(path)
    if read is None:
        return None
    raw, data = read
    source = (data.get("app") or {}).get("source") if isinstance(data.get("app"), dict) else None
    if not isinstance(source, str):
        return None
    head = b"noop-v1\0" + sys.version.encode() + b"\0" + os.environ.get("DOCKER_HOST", "").encode()
    digests: Digests = [(hashlib.sha256(head + (b"\0content" if content else b"")), content) for content in kinds]
    for digest, _ in digests:
        digest.update(str(path).encode() + b"\0" + raw)
    newest = os.stat(path).st_ctime_ns
    for name in TOOL_DIRS:
        newest = max(newest, _tree(digests, TOOL_ROOT / name))
    app_dir = (path.parent / source).resolve()
    newest = max(newest, _tree(digests, app_dir, frozenset({path.parent / "build"})))
    for outside in _outside_inputs(path.parent, app_dir, data):
        newest = max(newest, _tree(digests, outside) if outside.is_dir() else _stat(digests, outside))
    return [digest.hexdigest() for digest, _ in digests], newest


def _outside_inputs(root: Path, app_dir: Path, data: dict[str, Any]) -> list[Path]:
    """What a build reads besides app.source: a static folder beside it (the split
    layout) and a cloudrun target's own firebase.json."""
    found = []
    static = (data.get("app") or {}).get("static") if isinstance(data.get("app"), dict) else None
    if isinstance(static, str):
        folder = (app_dir / static).resolve()
        if not folder.is_relative_to(app_dir):
            found.append(folder)
    targets = data.get("targets") if isinstance(data.get("targets"), dict) else {}
    for settings in targets.values():
        own = settings.get("firebase_json") if isinstance(settings, dict) else None
        if isinstance(own, str):
            found.append((root / own).resolve())
    return found


def _stat(digests: Digests, path: Path) -> int:
    """Hash one file into `digests`; return its newest mtime or ctime."""
    try:
        st = os.lstat(path)
        body = _body(path, st) if any(content for _, content in digests) else ""
    except OSError:
        for digest, _ in digests:
            digest.update(f"{path}\0missing\n".encode())
        return 0
    for digest, content in digests:
        if content:
            digest.update(f"{path}\0{st.st_mode}\0{body}\n".encode())
        else:
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\0"
                          f"{st.st_mode}\n".encode())
    return max(st.st_mtime_ns, st.st_ctime_ns)


def _body(path: Path, st: os.stat_result) -> str:
    """What a file holds: a regular file's sha256, a symlink's target, else nothing."""
    if stat.S_ISREG(st.st_mode):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if stat.S_ISLNK(st.st_mode):
        return os.readlink(path)
    return ""


def _folder(folder: Path) -> str:
    digest = hashlib.sha256()
    _tree([(digest, False)], folder)
    return digest.hexdigest()


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str) -> None:
        super().__init__("localhost", timeout=10)
        self.socket_path = socket_path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def _engine_socket() -> str | None:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return host.removeprefix("unix://") if host.startswith("unix://") else None


def _image_ids(refs: Iterable[str]) -> dict[str, str | None] | None:
    """Each ref's image id in the engine (None: not there); None if the engine cannot be asked."""
    where = _engine_socket()
    if where is None:
        return None
    found: dict[str, str | None] = {}
    try:
        connection = _UnixConnection(where)
        for ref in refs:
            connection.request("GET", f"/images/{quote(ref, safe='')}/json")
            response = connection.getresponse()
            body = response.read()
            found[ref] = json.loads(body).get("Id") if response.status == 200 else None
        connection.close()
    except (OSError, ValueError, http.client.HTTPException):
        return None
    return found


def _selected(names: list[str], data: dict[str, Any]) -> list[str] | None:
    targets = data.get("targets")
    if not isinstance(targets, dict):
        return None
    wanted = [n.strip() for part in names for n in part.split(",") if n.strip()] or ["all"]
    if "all" in wanted:
        return sorted(targets)
    return list(dict.fromkeys(wanted)) if all(n in targets for n in wanted) else None


def up_to_date(manifest: str | Path, names: list[str], say: Callable[[str], None] = print) -> bool:
    """True, having said so per target, if nothing any selected target is made of has changed."""
    started = time.monotonic()
    path = Path(manifest).resolve()
    stamp_file = path.parent / "build" / STAMP
    try:
        stamp = json.loads(stamp_file.read_text())
    except (OSError, ValueError):
        return False
    read = _manifest(path, known=str(stamp.get("manifest")))
    selected = _selected(names, read[1]) if read else None
    if not selected:
        return False
    now = snapshot(path)
    # A file only touched, or written back as it was: the same bytes build nothing.
    touched = stamp.get("inputs") != now
    if touched and (stamp.get("contents") is None or stamp.get("contents") != contents(path)):
        return False
    entries = [stamp.get("targets", {}).get(name) for name in selected]
    if any(e is None or e.get("folder") != _folder(path.parent / "build" / name) for e, name in zip(entries, selected)):
        return False
    # Each base ref and its stand-in as the key looked them up (an image that was
    # absent must still be absent), and every image the build made.
    wanted: dict[str, str | None] = {}
    for entry in entries:
        wanted.update(entry["bases"])
        wanted.update({image: image for image in entry["images"]})
    found = _image_ids(wanted)
    if found is None or any(found.get(ref) != image for ref, image in wanted.items()):
        return False
    if touched and now is not None:  # the next no-op takes the stat path again
        _write(stamp_file, {**stamp, "inputs": now})
    for name in selected:
        say(f"{name}: up to date ({time.monotonic() - started:.2f} s)")
    # The summary line a build ends with; not its table, whose sizes would cost the engine calls
    # this path exists to avoid (`--verbose` or `--json` take the full path, table and all).
    say(f"build: {len(selected)} target(s): {len(selected)} up to date in {time.monotonic() - started:.2f} s")
    return True


def record(manifest: Path, inputs: str | None, built: dict[str, tuple[dict[str, str | None], list[str]]],
           content: str | None = None) -> None:
    """After a build that succeeded: `inputs` and `content` (its snapshot and contents()
    from before it began), and per target the base refs -> ids its key counted and the
    image ids it made."""
    if inputs is None:
        return
    stamp_file = manifest.parent / "build" / STAMP
    try:
        old = json.loads(stamp_file.read_text())
    except (OSError, ValueError):
        old = {}
    targets = old.get("targets", {}) if old.get("inputs") == inputs else {}
    for name, (bases, images) in built.items():
        targets[name] = {"folder": _folder(manifest.parent / "build" / name), "bases": bases, "images": images}
    raw = _raw(manifest)
    if raw is None:
        return
    _write(stamp_file, {"inputs": inputs, "contents": content, "manifest": hashlib.sha256(raw).hexdigest(),
                        "targets": targets})


def _write(stamp_file: Path, stamp: dict[str, Any]) -> None:
    tmp = stamp_file.with_name(f".{STAMP}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(stamp, sort_keys=True))
    os.replace(tmp, stamp_file)
