"""invoke bench --deps: the dependency step, cold and warm, with pip and with uv installing.

The set is tests/fixtures/bench/requirements-deps.txt: 57 pinned packages, as a
Flask app's `pip freeze` writes them, three of them sdists (two pure, one C).
Two halves of the step are timed apart, through the same code a build runs:

- on the host: the lock (uv), the wheelhouse (pip download, sdists built),
  cold from an empty cache, then warm;
- in the image: the `deps` stage of the real python.Dockerfile.j2, rendered
  once with uv installing and once with pip, each built with no layer cache
  (`rounds` times) and then once more with it (the warm case of every rebuild).
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
from ..engine import base_images, docker_client, installer, wheelhouse
from ..engine.builder import BuildBase
from ..errors import BuildFailed
from ..manifest import Project
from ..pins import GUNICORN, UV_IMAGE

FIXTURE = Path(__file__).resolve().parents[2] / "tests/fixtures/bench/requirements-deps.txt"
APP = "from flask import Flask\n\napp = Flask(__name__)\n"
LABEL = "bench-deps"


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
        uv_image = installer.image(runtime, cache, LABEL, progress)
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
        tags: list[str] = []
        try:
            for tool in ("pip", "uv"):
                dockerfile = f"Dockerfile.{tool}"
                (context / dockerfile).write_text(templates.render(
                    "build/python.Dockerfile.j2", base=configured, app=project.manifest.app, uid="10001", port=8080,
                    cache_control="no-store", labels={}, prestart=False, system_packages=[],
                    require_hashes="--hash=" in text, installer=tool, uv_image=UV_IMAGE))
                progress(f"  image step with {tool}: {rounds} cold build(s) ...")
                buildargs = {"BASE_IMAGE": base, **({"UV_IMAGE": uv_image} if tool == "uv" else {})}
                cold = []
                for _ in range(rounds):
                    tags.append(f"flaskship-bench/deps-{tool}:{uuid.uuid4().hex[:8]}")
                    cold.append(_build(context, dockerfile, tags[-1], buildargs, nocache=True))
                tags.append(f"flaskship-bench/deps-{tool}:{uuid.uuid4().hex[:8]}")
                figures[f"{tool} cold"] = statistics.median(cold)
                figures[f"{tool} warm"] = _build(context, dockerfile, tags[-1], buildargs, nocache=False)
        finally:
            for tag in tags:
                docker_client.remove_image(tag)
    _report(figures, pinned, rounds, progress)
    return figures


def _build(context: Path, dockerfile: str, tag: str, buildargs: dict[str, str], nocache: bool) -> float:
    """Seconds to build the `deps` stage of `dockerfile`."""
    started = time.monotonic()
    stream = docker_client.client().api.build(
        path=str(context), dockerfile=dockerfile, tag=tag, target="deps", nocache=nocache, rm=True, forcerm=True,
        pull=False, buildargs=buildargs, labels=docker_client.labels(LABEL), decode=True)
    for chunk in stream:
        if "error" in chunk:
            raise BuildFailed(f"bench --deps: the deps stage failed: {str(chunk['error']).strip().splitlines()[-1]}")
    return time.monotonic() - started


def _report(f: dict[str, float], pinned: int, rounds: int, progress: Callable[[str], None]) -> None:
    progress(f"bench --deps ({pinned} pinned packages, 3 sdists; image cold: median of {rounds}):")
    progress(f"  host: lock + wheelhouse     cold {f['host cold']:7.2f} s   warm {f['host warm']:6.2f} s"
             f"   cold/warm {f['host cold'] / max(f['host warm'], 1e-3):7.0f}x")
    for tool in ("pip", "uv"):
        progress(f"  image: install with {tool:<4}   cold {f[f'{tool} cold']:7.2f} s   warm {f[f'{tool} warm']:6.2f} s")
    progress(f"  install, pip/uv (cold)       {f['pip cold'] / f['uv cold']:5.1f}x")
    whole = {tool: f["host cold"] + f[f"{tool} cold"] for tool in ("pip", "uv")}
    warm = {tool: f["host warm"] + f[f"{tool} warm"] for tool in ("pip", "uv")}
    progress(f"  whole step cold: pip {whole['pip']:.2f} s, uv {whole['uv']:.2f} s ({whole['pip'] / whole['uv']:.2f}x);"
             f" warm: pip {warm['pip']:.2f} s, uv {warm['uv']:.2f} s")
