"""Byte-reproducible zip archives.

The same files give the same bytes whatever their mtimes, the umask or the
working directory: entries are sorted, timestamps fixed at 1980-01-01 (the
zip epoch), modes fixed, and compression settings constant.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644


def write_zip(files: dict[str, bytes], dest: Path) -> str:
    """Write `files` (archive name -> bytes) to dest atomically; return its sha256."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=EPOCH)
                info.external_attr = (0o100000 | FILE_MODE) << 16  # regular file, rw-r--r--
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the mode bits mean the same everywhere
                zf.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return hashlib.sha256(dest.read_bytes()).hexdigest()


def tree_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
