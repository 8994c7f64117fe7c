"""invoke bench --deps: the dependency step, cold and warm: ours against pip in the image.

The set is tests/fixtures/bench/requirements-deps.txt: 57 pinned packages, as a
Flask app's `pip freeze` writes them, three of them sdists (two pure, one C).
Two halves of the step are timed apart, through the same code a build runs:

- on the host: the lock (uv), the wheelhouse (pip download, sdists built),
  cold from an empty cache, then warm;
- the install: ours, the venv made on the host (engine/venv.py) and the real
  python.Dockerfile.j2's shared stage built from it; against pip installing
  the same wheelhouse in the image, as tutorials do. Each with no cache
  (`rounds` times), then once more with it (the warm case of every rebuild).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from .. import templates
from ..build import lock
from ..build import requirements as app_requirements
from ..engine import base_images, docker_client, venv, wheelhouse
from ..engine.builder import BuildBase
from ..errors import BuildFailed
from ..manifest import Project
from ..pins import GUNICORN

FIXTURE = Path(__file__).resolve().parents[2] / "tests/fixtures/bench/requirements-deps.txt"
APP = "from flask import Flask\n\napp = Flask(__name__)\n"
LABEL = "bench-deps"
# The tutorials' way: pip installs the wheelhouse in the image, and stays in it.
PIP = """ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS venv
COPY requirements.txt /tmp/requirements.txt
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/tmp/wheels \\
    -r /tmp/requirements.txt
"""


def bench_deps(project: Project, rounds: int, progress: Callable[[str], None] = print,
               requirements: Path = FIXTURE) -> dict[str, float]:
    """Print the figures and ratios; return them (seconds) by name."""
    quiet: Callable[[str], None] = lambda _line: None  # noqa: E731
    configured = project.manifest.base_image()
    base = base_images.resolve(configured, quiet)
    runtime = base_images.probe(base)
    pinned = sum(1 for line in requirements.read_text().splitlines() if "==" in line and not line.startswith("#"))
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="flaskship-bench-deps-") as tmp:
        app, cache, context = Path(tmp) / "app", Path(tmp) / "cache", Path(tmp) / "context"
        app.mkdir()
        (app / "app.py").write_text(APP)
        shutil.copy(requirements, app / "requirements.txt")
        sources = BuildBase(configured, base, base_images.image_id(base))
        progress(f"bench --deps: {pinned} pinned packages, Python {runtime.python} ({base}); host step cold ...")

        def host() -> str:
            deploy = app_requirements.deploy_text(app, "requirements.txt", (GUNICORN,), LABEL, cache=cache,
                                                  python=lock.floor(project.manifest.defaults.python, [configured]))
            image = app_requirements.for_image(deploy, app, cache, LABEL, quiet)
            wheels = wheelhouse.ensure(image.resolve, runtime, cache, LABEL, quiet, local=image.wheels,
                                       sources=sources)
            shutil.rmtree(context, ignore_errors=True)
            wheelhouse.link_into(wheels, context / "wheels", extra=image.wheels)
            return app_requirements.with_wheel_hashes(image.text, sorted((context / "wheels").glob("*.whl")))

        started = time.monotonic()
        text = host()
        figures["host cold"] = time.monotonic() - started
        started = time.monotonic()
        text = host()
        figures["host warm"] = time.monotonic() - started
        (context / "requirements.txt").write_text(text, encoding="utf-8")
        (context / "Dockerfile.pip").write_text(PIP, encoding="utf-8")
        ours = Path(tmp) / "ours"  # the context our build sends: the venv, not the wheels (.dockerignore)
        ours.mkdir()
        (ours / "Dockerfile.ours").write_text(templates.render(
            "build/python.Dockerfile.j2", base=configured, app=project.manifest.app, uid="10001", port=8080,
            cache_control="no-store", labels={}, shared_labels={}, prestart=False, system_packages=[],
            code_in_image=False))
        tags: list[str] = []
        try:
            for way in ("pip", "ours"):
                progress(f"  install, {way}: {rounds} cold build(s) ...")
                cold = []
                for number in range(rounds + 1):  # the last one warm: everything cached
                    warm = number == rounds
                    tags.append(f"flaskship-bench/deps-{way}:{uuid.uuid4().hex[:8]}")
                    started = time.monotonic()
                    if way == "ours":
                        venvs = Path(tmp) / f"venvs-{min(number, rounds - 1)}"  # cold: made anew; warm: kept
                        venv.link_into(venv.ensure_venv(context / "wheels", context / "requirements.txt", runtime,
                                                        base, venvs, LABEL), ours / "venv.tar.gz")
                    _build(ours if way == "ours" else context, f"Dockerfile.{way}", tags[-1], {"BASE_IMAGE": base},
                           nocache=not warm)
                    cold.append(time.monotonic() - started)
                figures[f"{way} cold"] = statistics.median(cold[:-1])
                figures[f"{way} warm"] = cold[-1]
        finally:
            for tag in tags:
                docker_client.remove_image(tag)
    _report(figures, pinned, rounds, progress)
    return figures


def _build(context: Path, dockerfile: str, tag: str, buildargs: dict[str, str], nocache: bool) -> None:
    """Build the `venv` stage of `dockerfile`."""
    stream = docker_client.client().api.build(
        path=str(context), dockerfile=dockerfile, tag=tag, target="venv", nocache=nocache, rm=True, forcerm=True,
        pull=False, buildargs=buildargs, labels=docker_client.labels(LABEL), decode=True)
    for chunk in stream:
        if "error" in chunk:
            raise BuildFailed(f"bench --deps: the venv stage failed: {str(chunk['error']).strip().splitlines()[-1]}")


def _report(f: dict[str, float], pinned: int, rounds: int, progress: Callable[[str], None]) -> None:
    progress(f"bench --deps ({pinned} pinned packages, 3 sdists; image cold: median of {rounds}):")
    progress(f"  host: lock + wheelhouse     cold {f['host cold']:7.2f} s   warm {f['host warm']:6.2f} s"
             f"   cold/warm {f['host cold'] / max(f['host warm'], 1e-3):7.0f}x")
    for way, what in (("pip", "pip in the image"), ("ours", "ours (host venv)")):
        progress(f"  install: {what:<18} cold {f[f'{way} cold']:7.2f} s   warm {f[f'{way} warm']:6.2f} s")
    progress(f"  install, pip/ours (cold)     {f['pip cold'] / f['ours cold']:5.1f}x")
    whole = {way: f["host cold"] + f[f"{way} cold"] for way in ("pip", "ours")}
    warm = {way: f["host warm"] + f[f"{way} warm"] for way in ("pip", "ours")}
    progress(f"  whole step cold: pip {whole['pip']:.2f} s, ours {whole['ours']:.2f} s "
             f"({whole['pip'] / whole['ours']:.2f}x); warm: pip {warm['pip']:.2f} s, ours {warm['ours']:.2f} s")
