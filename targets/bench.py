"""invoke bench: build and start-up figures, with ratios against a baseline, in one run.

The baseline is the same context built with a naive Dockerfile that copies the
app before installing dependencies (the common `COPY . .` first), so every
code edit reinstalls them. Runs in a throwaway copy of the project.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from . import docker_ops, manifest
from .build import build
from .manifest import Project
from .record import BuildRecord
from .smokerun import wait_http

NAIVE = """FROM {base}
COPY src/ /srv/app/
COPY requirements.txt /tmp/requirements.txt
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/tmp/wheels -r /tmp/requirements.txt
WORKDIR /srv/app
USER 10001:10001
ENV PATH=/opt/venv/bin:$PATH PORT=8080
CMD ["gunicorn", "--workers", "1", "--threads", "8", "wsgi:app"]
"""


def _timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def bench(project: Project, target: str, rounds: int, progress: Callable[[str], None] = print) -> None:
    quiet: Callable[[str], None] = lambda _line: None  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="flaskship-bench-") as tmp:
        root = Path(tmp)
        shutil.copytree(project.root / project.manifest.app.source, root / project.manifest.app.source,
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(project.path, root / project.path.name)
        copy = manifest.load(root / project.path.name)
        module = root / project.manifest.app.source / f"{project.manifest.app.module.replace('.', '/')}.py"
        first = _timed(lambda: build(copy, target, quiet))
        nochange = [_timed(lambda: build(copy, target, quiet)) for _ in range(rounds)]
        edits = []
        for _ in range(rounds):
            # Unique per run: the classic builder caches COPY by content, so a
            # repeated edit would be a cache hit, not a rebuild.
            module.write_text(module.read_text() + f"\n# bench edit {uuid.uuid4().hex}\n")
            edits.append(_timed(lambda: build(copy, target, quiet)))
        context = copy.build_dir / target
        base = next(line.split()[1] for line in (context / "Dockerfile").read_text().splitlines() if line.startswith("FROM"))
        (context / "Dockerfile.naive").write_text(NAIVE.format(base=base))
        naive = []
        for i in range(rounds + 1):
            module.write_text(module.read_text() + f"\n# naive edit {uuid.uuid4().hex}\n")
            shutil.copy(module, context / "src" / module.relative_to(root / project.manifest.app.source))
            tag = f"flaskship-bench/naive:{i}"
            seconds = _timed(lambda tag=tag: docker_ops.build_image(context, tag, "bench", {}, "Dockerfile.naive", quiet))
            if i:  # the first naive build only warms its cache
                naive.append(seconds)
        record_id = BuildRecord.load(copy.build_dir, target).image()
        first_200 = []
        for _ in range(rounds):
            with docker_ops.running(record_id, "bench", environment={"APP_ENV": "development"}, container_port=8080) as (c, port):
                first_200.append(wait_http(f"http://127.0.0.1:{port}/healthz", 30, c, "bench"))
        docker_ops.client().images.remove("flaskship-bench/naive:0", force=True)
        for i in range(1, rounds + 1):
            docker_ops.client().images.remove(f"flaskship-bench/naive:{i}", force=True)
    med = statistics.median
    progress(f"bench ({target}, {rounds} rounds, medians):")
    progress(f"  first build, fresh copy (warm engine cache) {first:5.2f} s")
    progress(f"  no-change rebuild                {med(nochange):7.2f} s")
    progress(f"  rebuild after an app code edit   {med(edits):7.2f} s")
    progress(f"  baseline (COPY app first) edit   {med(naive):7.2f} s   ratio baseline/ours {med(naive) / med(edits):.1f}x")
    progress(f"  docker run -> first 200          {med(first_200):7.2f} s")
