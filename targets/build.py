"""invoke build: manifest -> rendered build/<target>/ -> image or zip."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from collections.abc import Callable

from . import docker_ops, source
from .buildjob import BuildJob
from .kinds import KINDS
from .manifest import Project
from .record import BuildRecord, tree_hash
from .render import staging_dir


def build(project: Project, target: str, progress: Callable[[str], None] = print) -> list[BuildRecord]:
    selected = project.select(target)
    source.check(project)
    records = []
    for name, settings in selected:
        started = time.monotonic()
        progress(f"{name}: building ({settings.kind}) ...")
        with staging_dir(project.build_dir / name) as staging:
            job = BuildJob(project, name, settings, staging, progress)
            KINDS[settings.kind].build(job)
            job.record.inputs = tree_hash(staging)
            job.record.seconds = round(time.monotonic() - started, 2)
            job.record.save(staging)
        export_archives(project, job.record)
        records.append(job.record)
        progress(f"{name}: {summary(job.record)}")
    return records


def export_archives(project: Project, record: BuildRecord) -> None:
    """Place each archive at its documented path, build/<file>, atomically."""
    for archive in record.archives.values():
        name = Path(str(archive["path"])).name
        tmp = project.build_dir / f".{name}.tmp"
        shutil.copyfile(project.build_dir / record.target / name, tmp)
        os.replace(tmp, project.build_dir / name)


def summary(record: BuildRecord) -> str:
    parts = []
    for image in (record.images[role] for role in sorted(record.images)):
        size = docker_ops.image_size(image["id"]) / 1e6
        parts.append(f"image {image['ref']} ({size:.1f} MB)")
    for role, archive in sorted(record.archives.items()):
        parts.append(f"{role} {archive['path']} ({int(archive['size']) / 1e3:.1f} kB, sha256 {str(archive['sha256'])[:12]})")
    return f"built {', '.join(parts)} in {record.seconds:.1f} s"
