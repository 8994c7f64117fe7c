"""File operations that never leave anything half-written.

atomic_write: readers see the old file or the whole new one.
staging_dir:  build/<target>/ is replaced whole, only when its build succeeded.
tree_hash:    a content hash of a folder (paths, exec bits, bytes).
tree_tar:     a folder as a deterministic, root-owned tar.
bytes_tar:    files given as bytes, as a root-owned tar.
link_or_copy: a cached file into a build folder, shared on disk where it can be.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never a part; a failure leaves no temp file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None:  # a failed write or fsync names no file: name the one being written
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """Yield an empty sibling folder; on success it replaces `final` whole.

    On any failure the staging folder is removed and `final` (the last good
    build) is left exactly as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".staging-{final.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
        retired = final.parent / f".retired-{final.name}-{uuid.uuid4().hex[:8]}"
        if final.exists():
            final.rename(retired)
        staging.rename(final)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in blocks (wheels and sdists can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_hash(folder: Path, skip: frozenset[str] = frozenset(), modes: bool = False) -> str:
    """A content hash of a folder: relative paths, exec bits and bytes, in sorted order.
    `skip`: top-level names left out, with all that is under them. `modes`: every folder
    too, and each entry's whole mode (what a COPY or a tar keeps: a writable folder's
    1777, an empty folder), as the hash of an image's inputs needs."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if modes or p.is_file() or p.is_symlink()):
        rel = path.relative_to(folder).as_posix()
        if rel.split("/", 1)[0] in skip:
            continue
        if path.is_symlink():  # as COPY and tar keep it: the link, never what it points to on this host
            digest.update(f"{rel}\0link\0{os.readlink(path)}\0".encode())
            continue
        if modes:
            digest.update(f"{rel}\0{path.lstat().st_mode:o}\0".encode())
            if path.is_file():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            continue
        executable = os.access(path, os.X_OK)
        digest.update(f"{rel}\0{int(executable)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def bytes_tar(files: Mapping[str, bytes], folders: Sequence[str] = (), mtime: int = 0) -> bytes:
    """A tar of `folders` (0755) and then `files` (path -> bytes, 0644), root's, for a
    container's put_archive at /: paths absolute or relative, they land from /."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in folders:
            folder = tarfile.TarInfo(name.lstrip("/"))
            folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(folder)
        for name, data in files.items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tree_tar(folder: Path, dest: str, symlinks: bool = False, owner: int = 0) -> bytes:
    """`folder` as a tar whose names start with `dest` (relative, or "" for none), as a
    COPY would make it: root's, read-only to the app's uid (folders 0755, files 0644,
    or 0755 when executable), whatever the host's umask made; a writable folder keeps
    its 1777. Sorted, with no times: the same tree gives the same bytes. Symlinks are
    kept as links when `symlinks`, else refused (ValueError): what the caller's tree
    may hold is only files and folders. `owner`: another uid and gid than root's, for a
    tree its container may write (app.build's)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [folder, *sorted(folder.rglob("*"))]:
            name = "/".join(part for part in [dest.strip("/"), *path.relative_to(folder).parts] if part) or "."
            info = tar.gettarinfo(str(path), arcname=name)
            if not (info.isfile() or info.isdir() or (symlinks and info.issym())):
                raise ValueError(f"{path} is neither a file nor a folder")
            info.uid = info.gid = owner
            info.uname = info.gname = "root" if owner == 0 else ""
            info.mtime = 0
            if info.isfile():
                info.mode = shipped_mode(info.mode, False)
                with path.open("rb") as stream:
                    tar.addfile(info, stream)
                continue
            if info.isdir():
                info.mode = shipped_mode(info.mode, True)
            tar.addfile(info)
    return buffer.getvalue()


def shipped_mode(mode: int, is_dir: bool) -> int:
    """The mode a file or folder has in an image: readable by any uid the platform runs
    the app as, writable by none but root (the owner), whatever the host's umask or
    checkout made; a writable folder (1777) stays one."""
    if is_dir:
        return 0o1777 if mode & 0o7777 == 0o1777 else 0o755
    return 0o755 if mode & 0o100 else 0o644


def ship_modes(path: Path) -> None:
    """shipped_mode() for `path` and everything under it, in place: for what an image's
    COPY takes from its context, which keeps the modes it finds. A checkout made under
    umask 077 (0600 files, 0700 folders) otherwise gave images whose app could not read
    its own code. Links are left as they are (their own mode means nothing)."""
    for item in [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]:
        if item.is_symlink():
            continue
        mode = item.stat().st_mode
        wanted = shipped_mode(mode, item.is_dir())
        if mode & 0o7777 != wanted:
            item.chmod(wanted)


def link_or_copy(source: Path, dest: Path) -> None:
    """`source` at `dest`: a hard link (cache files are never edited in place), or a copy
    across filesystems or where a link cannot be made (an existing `dest` is replaced)."""
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def user_cache(name: str) -> Path | None:
    """~/.cache/flaskship/<name> (XDG_CACHE_HOME honoured), private to this user; None
    when it cannot be made, or is someone else's (never trust another user's answers)."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "flaskship" / name
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder if folder.stat().st_uid == os.getuid() else None
    except OSError:
        return None
