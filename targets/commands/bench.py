"""invoke bench: build and start-up figures, with ratios against a baseline, in one run.

The baseline is the same context built with a naive Dockerfile in the common
tutorial style: the app copied before dependencies are installed (`COPY . .`
first), so every code edit reinstalls them, and a shell-form CMD. Both arms
use the same base and wheelhouse. The entry, port, health route and
environment come from the manifest, so any app that builds can be measured.
Runs in a throwaway copy of the project.
"""

from __future__ import annotations

import json
import shlex
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from .. import manifest
from ..build import source
from ..engine import base_images, docker_client
from ..errors import ManifestError
from ..files import atomic_write
from ..manifest import Project
from ..records import BuildRecord
from ..smoke.session import wait_http
from .build import build

BENCH = "bench.json"
NAIVE = """FROM {base}
COPY src/ /srv/app/
COPY requirements.txt /tmp/requirements.txt
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/tmp/wheels -r /tmp/requirements.txt
WORKDIR /srv/app
USER 10001:10001
ENV PATH=/opt/venv/bin:$PATH PORT={port}
CMD gunicorn --bind 0.0.0.0:$PORT --workers 1 --threads 8 {entry}
"""


def _timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def pick_target(project: Project, target: str) -> str:
    """The named target, or the first one whose kind ships an app image."""
    if target:
        project.target(target)
        return target
    for name, settings in sorted(project.manifest.targets.items()):
        if settings.kind in ("cloudrun", "heroku", "compose"):
            return name
    raise ManifestError(f"{project.path.name}: no target ships an app image to bench; name one with --target")


def bench(project: Project, target: str, rounds: int, progress: Callable[[str], None] = print) -> None:
    quiet: Callable[[str], None] = lambda _line: None  # noqa: E731
    target = pick_target(project, target)
    app = project.manifest.app
    _, environment = project.environment(None)
    port = project.target(target).port
    with tempfile.TemporaryDirectory(prefix="flaskship-bench-") as tmp:
        # The copy is what a build ships (source.copy: ignore files honoured, never
        # build/ itself, which may sit inside the app when app.source is ".").
        root = Path(tmp) / "project"
        source.copy(project, root / app.source)
        shutil.copy(project.path, root / project.path.name)
        copy = manifest.load(root / project.path.name)
        parts = app.module.split(".")
        module = next(p for p in (copy.app_dir.joinpath(*parts).with_suffix(".py"),
                                  copy.app_dir.joinpath(*parts, "__init__.py")) if p.is_file())
        first = _timed(lambda: build(copy, target, quiet))
        nochange = [_timed(lambda: build(copy, target, quiet)) for _ in range(rounds)]
        edits = []
        for _ in range(rounds):
            # Unique per run: the classic builder caches COPY by content, so a
            # repeated edit would be a cache hit, not a rebuild.
            module.write_text(module.read_text() + f"\n# bench edit {uuid.uuid4().hex}\n")
            edits.append(_timed(lambda: build(copy, target, quiet)))
        record = BuildRecord.load(copy.build_dir, target)
        context = copy.build_dir / target / record.images["app"]["context"]
        base = next(line.split("=", 1)[1] for line in (context / "Dockerfile").read_text().splitlines()
                    if line.startswith("ARG BASE_IMAGE="))
        base = base_images.resolve(base, quiet)
        (context / "Dockerfile.naive").write_text(NAIVE.format(base=base, port=port, entry=shlex.quote(app.entry)))
        naive = []
        tags = [f"flaskship-bench/naive:{uuid.uuid4().hex[:8]}-{i}" for i in range(rounds + 1)]
        try:
            for i, tag in enumerate(tags):
                module.write_text(module.read_text() + f"\n# naive edit {uuid.uuid4().hex}\n")
                shutil.copy(module, context / "src" / module.relative_to(copy.app_dir))
                seconds = _timed(lambda tag=tag: docker_client.build_image(context, tag, "bench", {}, "Dockerfile.naive",
                                                                           progress=quiet))
                if i:  # the first naive build only warms its cache
                    naive.append(seconds)
            first_200 = []
            health = project.manifest.smoke.health
            for _ in range(rounds):
                with docker_client.running(record.image(), "bench", environment=dict(environment.env),
                                           container_port=port) as (c, host_port):
                    host = docker_client.engine_endpoint().reach_host
                    first_200.append(wait_http(f"http://{host}:{host_port}{health}", 30, c, "bench"))
        finally:
            for tag in tags:
                docker_client.remove_image(tag)
    med = statistics.median
    progress(f"bench ({target}, {rounds} rounds, medians):")
    progress(f"  first build, fresh copy (warm engine cache) {first:5.2f} s")
    progress(f"  no-change rebuild                {med(nochange):7.2f} s")
    progress(f"  rebuild after an app code edit   {med(edits):7.2f} s")
    progress(f"  baseline (COPY app first) edit   {med(naive):7.2f} s   ratio baseline/ours {med(naive) / med(edits):.1f}x")
    progress(f"  docker run -> first 200          {med(first_200):7.2f} s")
    # For `invoke report`'s build-time chart.
    figures = {"target": target, "rounds": rounds, "cold": first, "noop": med(nochange), "edit": med(edits),
               "baseline_edit": med(naive), "first_200": med(first_200)}
    project.build_dir.mkdir(exist_ok=True)
    atomic_write(project.build_dir / BENCH, json.dumps({k: round(v, 3) if isinstance(v, float) else v
                                                       for k, v in figures.items()}, indent=2) + "\n")
