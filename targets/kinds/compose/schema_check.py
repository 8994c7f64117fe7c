"""docker-compose.yml against the compose spec's JSON Schema, while the images build.

check-jsonschema (its vendored copy of the compose spec) is a process of its own,
about 1 s of CPU. A verdict is kept per shape: the file with its image tags masked
(an app edit changes only those) and the checker's version. Targets of one shape
that build side by side share one check: the first runs it, the others wait for
its verdict instead of each running the same process (a 16-target manifest has
four compose targets of one shape).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ... import trim
from ...errors import BuildFailed

if TYPE_CHECKING:
    from ...build.job import BuildJob

_guard = threading.Lock()
_checking: dict[Path, threading.Lock] = {}


@contextmanager
def checked(job: BuildJob) -> Iterator[None]:
    """Check the job's docker-compose.yml while the body (the image builds) runs; after
    it, raise BuildFailed if the file does not validate."""
    path = job.staging / "docker-compose.yml"
    passed = _verdict(job, path)
    if passed.exists():
        trim.used(passed)
        yield
        return
    with _guard:
        lock = _checking.setdefault(passed, threading.Lock())
    mine = lock.acquire(blocking=False)
    try:
        process = _start(path) if mine else None
        try:
            yield
        finally:
            if process is not None and process.poll() is None and sys.exc_info()[0] is not None:
                process.kill()
            out, err = process.communicate() if process is not None else ("", "")
        if process is None:
            with lock:  # another target of this shape is checking it: its verdict
                pass
            if passed.exists():
                return
            process = _start(path)  # it failed (or was cut short): this target's own check says why
            out, err = process.communicate()
        if process.returncode != 0:
            raise BuildFailed(f"{job.name}: docker-compose.yml does not validate against the compose spec",
                              (out + err).strip())
        passed.parent.mkdir(parents=True, exist_ok=True)
        passed.touch()
    finally:
        if mine:
            lock.release()


def _verdict(job: BuildJob, path: Path) -> Path:
    """Where a pass of this file's shape is kept."""
    shape = path.read_text() + importlib.metadata.version("check-jsonschema")
    for spec in job.images:
        shape = shape.replace(spec.tag, "IMAGE")
    return job.project.build_dir / ".cache" / f"compose-schema-{hashlib.sha256(shape.encode()).hexdigest()[:24]}"


def _start(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
