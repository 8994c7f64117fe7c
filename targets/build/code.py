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

from ..errors import SmokeFailed
from ..files import tree_hash
from ..records import BuildRecord
from .job import APP_DIR


def archive(folder: Path, dest: str = APP_DIR) -> bytes:
    """`folder` as a tar to unpack at / that puts its files at `dest`, as a COPY would:
    root's, read-only to the app's uid (folders 0755, files 0644, or 0755 when
    executable), whatever the host's umask made; a writable folder keeps its 1777.
    Sorted, with no times: the same code gives the same bytes. Only files and
    folders: the code comes from the zip, which has nothing else."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [folder, *sorted(folder.rglob("*"))]:
            info = tar.gettarinfo(str(path), arcname="/".join([dest.strip("/"), *path.relative_to(folder).parts]))
            if not (info.isfile() or info.isdir()):
                raise SmokeFailed(f"{path} is neither a file nor a folder; the code in build/ holds only those: "
                                  "rebuild the target")
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isdir():
                info.mode = 0o1777 if info.mode & 0o7777 == 0o1777 else 0o755
                tar.addfile(info)
            else:
                info.mode = 0o755 if info.mode & 0o100 else 0o644
                with path.open("rb") as stream:
                    tar.addfile(info, stream)
    return buffer.getvalue()


def for_container(build_dir: Path, record: BuildRecord, role: str) -> bytes | None:
    """The tar a container of the record's `role` image gets at start; None when its image
    holds its code. The code must be what the build made from the zip it recorded
    (smoke runs what publish ships): a folder changed or removed since fails the
    target, with the fix, instead of running something else."""
    entry = record.images[role]
    if entry.get("code") is None:
        return None
    folder = build_dir / record.target / str(entry["code"])
    if not folder.is_dir() or tree_hash(folder, modes=True) != entry.get("code_sha256"):
        raise SmokeFailed(f"{record.target}: {folder} is not what the last build left (changed or removed since); "
                          f"rebuild with `invoke build --target {record.target}`")
    return archive(folder)
