"""Whether a build would change nothing, and the key that says so.

A target's key covers everything its artifacts are made from: the rendered
files (which carry the manifest slice the target uses, the app files that go
into it, and the templates), the id of each base image, and the tool's own
source. Rendering is cheap and needs no Docker; when the key equals the last
build's and its images are still in the engine, `invoke build` builds
nothing, starts no container and runs no schema check.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from ..engine import base_images
from ..files import tree_hash
from ..records import BuildRecord
from .job import BuildJob

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def tool_hash() -> str:
    """The tool's own code and templates: a change to flaskship rebuilds everything."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".j2") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(job: BuildJob) -> str | None:
    """The rendered target's key, or None when a base image is not in the engine yet."""
    ids = [base_images.local_id(spec.base) for spec in job.images]
    if None in ids:
        return None
    parts = [tree_hash(job.staging), tool_hash(), job.record.manifest, *(f"{spec.role}={i}" for spec, i in zip(job.images, ids, strict=True))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def up_to_date(previous: BuildRecord | None, current: str | None) -> bool:
    """Same key as the last build, and every image it made is still there."""
    if previous is None or current is None or previous.key != current:
        return False
    return all(base_images.exists(image["id"]) for image in previous.images.values())
