"""Code that an image gets when each of its containers starts, not in a layer.

The functions runner is Cloud Functions' runtime: the shared venv and
functions-framework. The platform unpacks the uploaded source onto such an
image, and so does every container smoke or `invoke up` starts from it: the
zip's files, byte-compiled at build time (build/images.py), go in at /srv/app
as a tar before the container starts (docker_client.running's `files`). An app
edit then rebuilds the zip and no image.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from ..errors import RecordError
from ..files import tree_hash
from ..records import BuildRecord
from .job import APP_DIR


def archive(folder: Path, dest: str = APP_DIR) -> bytes:
    """`folder` as a tar to unpack at / that puts its files at `dest`: root's, as a
    COPY makes them (read-only to the app's uid), each with its own mode, so the
    writable folders keep their 1777. Sorted, with no times: the same code gives the same bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [folder, *sorted(folder.rglob("*"))]:
            info = tar.gettarinfo(str(path), arcname="/".join([dest.strip("/"), *path.relative_to(folder).parts]))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isfile():
                with path.open("rb") as stream:
                    tar.addfile(info, stream)
            else:
                tar.addfile(info)
    return buffer.getvalue()


def for_container(build_dir: Path, record: BuildRecord, role: str) -> bytes | None:
    """The tar a container of the record's `role` image gets at start; None when its image
    holds its code. The code must be what the build left (smoke passes exactly what
    publish ships): a folder changed or removed since is an error, not a guess."""
    entry = record.images[role]
    if entry.get("code") is None:
        return None
    folder = build_dir / record.target / str(entry["code"])
    if not folder.is_dir() or tree_hash(folder) != entry.get("code_sha256"):
        raise RecordError(f"{record.target}: {folder} is not what the last build left (changed or removed since); "
                          f"rebuild with `invoke build --target {record.target}`")
    return archive(folder)
