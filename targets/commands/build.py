"""invoke build: manifest -> rendered build/<target>/ -> image or zip."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ..build import source
from ..build import freshness
from ..build.job import BuildJob
from ..engine import docker_client
from ..errors import RecordError
from ..files import staging_dir
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..records import BuildRecord, folder_hash


def build(project: Project, target: str | list[str], progress: Callable[[str], None] = print) -> list[BuildRecord]:
    selected = project.select(target)
    source.check(project)
    records = []
    for name, settings in selected:
        started = time.monotonic()
        kind = behaviour(settings.kind)
        previous = _last_record(project, name)
        try:
            with staging_dir(project.build_dir / name) as staging:
                job = BuildJob(project, name, settings, staging, progress)
                job.lock()  # the one step before the no-op check that may reach the index
                kind.render(job)  # pure file work: the lock goes into what it writes, hence into the key
                job.record.key = freshness.key(job) or ""
                if freshness.up_to_date(previous, job.record.key):
                    raise _Unchanged  # leaves build/<name>/ exactly as it was
                progress(f"{name}: building ({settings.kind}) ...")
                kind.build(job)
                job.record.inputs = folder_hash(staging)
                job.record.seconds = round(time.monotonic() - started, 2)
                job.record.save(staging)
        except _Unchanged:
            assert previous is not None
            records.append(previous)
            progress(f"{name}: up to date ({time.monotonic() - started:.2f} s)")
            continue
        export_archives(project, job.record)
        records.append(job.record)
        progress(f"{name}: {summary(job.record)}")
    return records


class _Unchanged(Exception):
    """The rendered target has the last build's key: nothing to build."""


def _last_record(project: Project, name: str) -> BuildRecord | None:
    try:
        record = BuildRecord.load(project.build_dir, name)
    except RecordError:
        return None
    # A record whose folder was edited after the build does not count.
    return record if record.inputs == folder_hash(project.build_dir / name) else None


def render_only(project: Project, name: str, staging: Path,
                locked: dict[tuple[str, ...], str] | None = None) -> BuildJob:
    """Render one target into `staging` without building anything (no Docker, no network);
    its requirements as declared unless `locked` gives them (see BuildJob.lock)."""
    settings = project.target(name)
    job = BuildJob(project, name, settings, staging, lambda _line: None, locked=locked)
    behaviour(settings.kind).render(job)
    return job


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
        size = docker_client.image_size(image["id"]) / 1e6
        parts.append(f"image {image['ref']} ({size:.1f} MB)")
    for role, archive in sorted(record.archives.items()):
        parts.append(f"{role} {archive['path']} ({int(archive['size']) / 1e3:.1f} kB, sha256 {str(archive['sha256'])[:12]})")
    return f"built {', '.join(parts)} in {record.seconds:.1f} s"
