"""invoke build: manifest -> rendered build/<target>/ -> image or zip."""

from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import nullcontext
from pathlib import Path

from ..build import appbuild, freshness, source
from ..build.job import BuildJob
from .. import trim
from ..engine import base_images, docker_client
from ..errors import FlaskshipError, RecordError
from ..files import staging_dir
from ..kinds import KINDS, TargetSettings
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..records import BuildRecord, build_folder, folder_hash
from ..ui.progress import Reporter
from . import noop
from .fanout import default_jobs, run_each

# Rendering is quick file work, but it may run the app's lock-file tool or pip
# on the host: one target at a time, so none of that is ever raced.
_rendering = threading.Lock()


def build(project: Project, target: str | list[str], report: Reporter | None = None, *,
          jobs: int | None = None) -> list[BuildRecord]:
    """Build the selected targets, `jobs` at a time (default: one per core).

    `report` is entered by the caller when given; else a Reporter of our own shows progress.
    """
    # Before anything is read: an edit during the build is never "built".
    inputs, content = noop.before_build(project.path)
    selected = project.select(target)
    build_folder(project.build_dir)
    source.check(project)
    bases: dict[str, dict[str, str | None]] = {}
    background: list[threading.Thread] = []  # BuildJob.alongside's
    # The caches are trimmed only while no other build of this project runs (trim.building).
    with trim.building(project.build_dir / ".cache") as trim_caches, \
            nullcontext(report) if report is not None else Reporter() as shown:
        assert shown is not None
        for name, _ in selected:
            shown.target(name)
        # Most work of their own first: after an app edit, cloudrun's Hosting lint was the
        # last thing running, alone, when cloudrun started third (edit 1.17 s to 1.01 s
        # in-process, measured); on a cold build the runner's own stage then starts second.
        kinds = dict(selected)
        try:
            records = run_each({name: (lambda name=name, settings=settings: _build_target(
                project, name, settings, shown, bases, background)) for name, settings in selected},
                jobs or default_jobs(), shown, first=lambda name: KINDS[kinds[name].kind].own_work)
        finally:
            _wait_for(background, shown)
        # The trim first: removing a wheelhouse changes the ctime of its wheels' links in the
        # build folders, which the no-op stamp records.
        trim_caches()
        noop.record(project.path, inputs, {name: (bases[name], [image["id"] for image in records[name].images.values()])
                                           for name, _ in selected}, content)
    return [records[name] for name, _ in selected]


def _wait_for(threads: list[threading.Thread], report: Reporter) -> None:
    """Every alongside() thread has ended (a Ctrl-C makes them unwind, as run_each's)."""
    try:
        for thread in list(threads):
            thread.join()
    except KeyboardInterrupt:
        report.cancel()
        for thread in list(threads):
            thread.join()
        raise


def _build_target(project: Project, name: str, settings: TargetSettings, report: Reporter,
                  bases: dict[str, dict[str, str | None]], background: list[threading.Thread]) -> BuildRecord:
    """Render, and build unless the key says nothing changed; build/<name>/ is replaced only on success.
    `bases` gets the base images the key counted, for the fast no-op check (noop.py)."""
    started = time.monotonic()
    say = report.target(name)
    kind = behaviour(settings.kind)
    previous = _last_record(project, name)
    try:
        with staging_dir(project.build_dir / name) as staging:
            job = BuildJob(project, name, settings, staging, say, background=background, previous=previous)
            with _rendering:
                job.lock()  # the one step before the no-op check that may reach the index
                appbuild.prepare(job)  # app.build: its output is the code render copies
                kind.render(job)  # pure file work: the lock goes into what it writes, hence into the key
                job.record.key = freshness.key(job) or ""
                bases[name] = {ref: base_images.present_id(ref) for spec in job.images
                               for ref in (spec.base, base_images.standin_ref(spec.base))}
            if freshness.up_to_date(previous, job.record.key):
                raise _Unchanged  # leaves build/<name>/ exactly as it was
            report.phase(name, f"building ({settings.kind})", since=started)
            kind.build(job)
            job.record.inputs = folder_hash(staging)
            job.record.seconds = round(time.monotonic() - started, 2)
            job.record.save(staging)
    except _Unchanged:
        assert previous is not None
        report.finish(name, f"up to date ({time.monotonic() - started:.2f} s)")
        return previous
    except FlaskshipError as exc:
        report.finish(name, f"failed: {exc.message.removeprefix(f'{name}: ')}", ok=False)
        raise
    export_archives(project, job.record)
    report.finish(name, summary(job.record))
    return job.record


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
