"""Code that an image gets when each of its containers starts, not in a layer.

The functions runner is Cloud Functions' runtime: the shared venv and
functions-framework. The platform unpacks the uploaded source onto such an
image, and so does every container smoke or `invoke up` starts from it: the
zip's files, byte-compiled at build time (build/images.py), go in at /srv/app
as a tar before the container starts (docker_client.running's `files`). An app
edit then rebuilds the zip and no image.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SmokeFailed
from ..files import tree_hash, tree_tar
from ..records import BuildRecord
from .job import APP_DIR


def archive(folder: Path, dest: str = APP_DIR) -> bytes:
    """`folder` as a tar to unpack at / that puts its files at `dest`, as a COPY would
    (files.tree_tar). Only files and folders: the code comes from the zip, which has nothing else."""
    try:
        return tree_tar(folder, dest)
    except ValueError as exc:
        raise SmokeFailed(f"{exc}; the code in build/ holds only those: rebuild the target") from None


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
