"""invoke bench: flaskship against the tutorials' way, every target, in one run.

Both arms build from the same bases and the same wheelhouse in a throwaway
copy of the project; each cold round starts from an engine cache that holds
nothing of either (bench_arms.py); a second cold build per round, on new
bases, also makes our venv tars and SBOMs again (the host's install cache).
Wall times wrap real processes (`invoke`, `docker build`, `docker run`), so
process start counts as a user counts it.
Figures are medians over the rounds with their spread, each with its ratio
to the naive arm and the issue's budget; build/bench.json keeps them all.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .. import manifest
from ..build import source
from ..engine import docker_client
from ..files import atomic_write
from ..manifest import Project
from ..records import BuildRecord
from . import bench_arms as arms
from . import bench_report
from .bench_figures import bare_first_200, engine_state, first_200_and_stop, load, load_summary, sizes, spread

LIMITS = {"cloudrun": ["--cpus", "1", "--memory", "512m"], "heroku": ["--memory", "512m"]}


def bench(project: Project, rounds: int = 3, quick: bool = False, scale: bool = True,
          say: Callable[[str], None] = print) -> dict[str, Any]:
    started = time.monotonic()

    def progress(line: str) -> None:
        say(f"[{time.monotonic() - started:6.1f} s] {line}")

    rounds = 1 if quick else max(1, rounds)
    run_id = uuid.uuid4().hex[:8]
    # The caller's session (a test's), so what it looks for is what the bench started.
    session = docker_client.SESSION
    salted: list[str] = []
    figures: dict[str, Any] = {}
    engine = engine_state()  # before the bench adds its own
    with tempfile.TemporaryDirectory(prefix="flaskship-bench-") as tmp:
        root = Path(tmp) / "project"
        source.copy(project, root / project.manifest.app.source)
        path = root / project.path.name
        shutil.copy(project.path, path)
        copy = manifest.load(path)
        kinds = {name: settings.kind for name, settings in copy.manifest.targets.items()}
        module = _module_file(copy)
        bases = (copy.manifest.base_image(), copy.manifest.defaults.nginx_image)
        try:
            if not quick:  # a quick run's cold build resolves the wheels itself: not a figure to quote
                progress(f"bench: warming the wheelhouse ({len(kinds)} targets) ...")
                _fresh_bases(path, bases, run_id, salted)
                arms.invoke("build", "--manifest", str(path), session=session)
            # With the machine's busy CPU over each run, as the 16-target figures have it.
            ours: dict[str, list[tuple[float, float | None]]] = {"cold": [], "cold_install": [], "noop": [], "edit": []}
            naive: dict[str, list[float]] = {"cold": [], "noop": [], "edit": []}
            for number in range(rounds):
                progress(f"bench: round {number + 1}/{rounds}: cold, no-op and edit builds, both arms ...")
                python, nginx = _fresh_bases(path, bases, run_id, salted)
                # Cold as the issue has it: the engine's cache of our images emptied; the host's
                # wheelhouse and venv tars stay. Then once more on new bases, those made again too.
                ours["cold"].append(arms.invoke_cpu("build", "--manifest", str(path), session=session))
                if not quick:
                    python, nginx = _fresh_bases(path, bases, run_id, salted)
                    _forget_installs(copy.build_dir)
                    ours["cold_install"].append(arms.invoke_cpu("build", "--manifest", str(path), session=session))
                ours["noop"].append(arms.invoke_cpu("build", "--manifest", str(path), session=session))
                _edit(module)
                ours["edit"].append(arms.invoke_cpu("build", "--manifest", str(path), session=session))
                naive_tags = _naive_round(copy, kinds, python, nginx, Path(tmp) / f"naive-{number}", module,
                                          naive, run_id)
            images = _our_images(copy, kinds)
            figures["build"] = {"ours": {k: _with_cpu(v) for k, v in ours.items() if v},
                                "naive": {k: spread(v) for k, v in naive.items()}}
            figures["sizes"] = {"ours": sizes(images, salted[-2:]), "naive": sizes(naive_tags, salted[-2:])}
            progress("bench: docker run to the first 200, and the stop after SIGTERM ...")
            figures["serve"] = _serve(copy, kinds, images, naive_tags, rounds, session, quick)
            progress("bench: smoke ...")
            figures["smoke"] = {"ours": _with_cpu([arms.invoke_cpu("smoke", "--force", "--manifest", str(path),
                                                                   session=session) for _ in range(rounds)])}
            progress("bench: requests per second under the platform limits ...")
            figures["load"] = _load(copy, kinds, images, naive_tags, session, 100 if quick else 2000, rounds)
            figures["zip"] = _zips(copy, kinds)
            if scale and not quick:
                progress("bench: the same figures for 16 targets ...")
                figures["scale"] = _scale(path, bases, run_id, session, salted, figures, rounds)
        finally:
            arms.remove_built_on(salted)
    record = {"run": run_id, "rounds": rounds, "quick": quick, "targets": kinds, "figures": figures, "engine": engine}
    project.build_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(project.build_dir / "bench.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
    say(bench_report.table(record))
    progress("wrote build/bench.json")
    return record


def _with_cpu(runs: list[tuple[float, float | None]]) -> dict[str, Any]:
    """spread() of the wall times, with the machine's busy CPU-seconds over the median run and
    the cores: bench_report shows the least wall time that much work takes here beside it."""
    _, cpu = _median_run(runs)
    return {**spread([wall for wall, _ in runs]), **({"cpu": round(cpu, 2), "cores": os.cpu_count() or 1}
                                                      if cpu is not None else {})}


def _median_run(runs: list[tuple[float, float | None]]) -> tuple[float, float | None]:
    """(wall, CPU) of the median run by wall time, as statistics.median takes it (the mean of
    the middle two for an even count), so the floor beside a figure is its own runs'."""
    ordered = sorted(runs, key=lambda run: run[0])
    middle = ordered[(len(ordered) - 1) // 2: len(ordered) // 2 + 1]
    cpus = [cpu for _, cpu in middle if cpu is not None]
    return (sum(wall for wall, _ in middle) / len(middle),
            sum(cpus) / len(cpus) if len(cpus) == len(middle) else None)


def _fresh_bases(manifest: Path, bases: tuple[str, str], run_id: str, salted: list[str]) -> tuple[str, str]:
    """New salted bases (kept in `salted`, so the end removes them), set in `manifest`."""
    python, nginx = arms.salted_bases(*bases, run_id)
    salted += [python, nginx]
    arms.set_bases(manifest, python, nginx)
    return python, nginx


def _forget_installs(build_dir: Path) -> None:
    """For the cold figure that makes the install again: the venv tars (engine/venv.py,
    our install, which the naive arm does in its image and so in the engine's cache) and
    the SBOMs made from them. The wheelhouse stays: both arms use the same one."""
    for made in ("venvs", "sbom"):
        shutil.rmtree(build_dir / ".cache" / made, ignore_errors=True)


def _module_file(project: Project) -> Path:
    parts = project.manifest.app.module.split(".")
    return next(p for p in (project.app_dir.joinpath(*parts).with_suffix(".py"),
                            project.app_dir.joinpath(*parts, "__init__.py")) if p.is_file())


def _edit(path: Path) -> None:
    # Unique per edit: the builder caches COPY by content, so a repeated edit would be a cache hit.
    path.write_text(path.read_text() + f"\n# bench edit {uuid.uuid4().hex}\n")


def _naive_round(copy: Project, kinds: dict[str, str], python: str, nginx: str, where: Path, module: Path,
                 naive: dict[str, list[float]], run_id: str) -> dict[str, str]:
    image_target = next(name for name, kind in sorted(kinds.items()) if kind in arms.NAIVE_CMD)
    context = arms.naive_context(where, copy.build_dir / image_target)
    compose = next((name for name, kind in sorted(kinds.items()) if kind == "compose"), None)
    files = arms.naive_dockerfiles(context, kinds, python, nginx, copy.build_dir / compose / "nginx" if compose else None,
                                   copy.manifest.app.entry, copy.target(image_target).port)
    took, tags = arms.naive_build(context, files, f"{run_id}-cold", run_id)
    naive["cold"].append(took)
    naive["noop"].append(arms.naive_build(context, files, f"{run_id}-noop", run_id)[0])
    _edit(context / module.relative_to(copy.app_dir))
    naive["edit"].append(arms.naive_build(context, files, f"{run_id}-edit", run_id)[0])
    return tags


def _our_images(copy: Project, kinds: dict[str, str]) -> dict[str, str]:
    images = {}
    for name in sorted(kinds):
        record = BuildRecord.load(copy.build_dir, name)
        for role, image in record.images.items():
            images[name if role in ("app", "runner") else f"{name}-{role}"] = image["id"]
    return images


def _env(copy: Project) -> dict[str, str]:
    _, environment = copy.environment(None)
    return {**environment.env, **{name: secrets.token_urlsafe(16) for name in environment.secrets}}


# A first 200 is short against its noise here (0.05 s either way from one start to the next, and
# whole minutes slower than others): each round starts each arm this many times, the arms and the
# bare server taking turns, so a slow minute hits all three alike. Only the first start of each
# round is stopped with SIGTERM and timed (the naive arm's stop waits out its whole grace).
STARTS_PER_ROUND = 5


def _serve(copy: Project, kinds: dict[str, str], ours: dict[str, str], naive: dict[str, str], rounds: int,
           session: str, quick: bool) -> dict[str, Any]:
    """Per image target (cloudrun, heroku): `docker run` to the first 200 and the SIGTERM stop, both
    arms, under the platform's limits, as an instance there starts (and as smoke runs it): Cloud Run's
    one vCPU is what its gunicorn sizes itself by (two workers, not two per host core). Beside them,
    the floor under the first-200 figure: the same `docker run` of a server with no app."""
    result: dict[str, Any] = {}
    health = copy.manifest.smoke.health
    for name in (n for n, kind in sorted(kinds.items()) if kind in LIMITS):
        port = copy.target(name).port
        limits = LIMITS[kinds[name]]
        up: dict[str, list[float]] = {"ours": [], "naive": [], "bare": []}
        down: dict[str, list[float]] = {"ours": [], "naive": []}
        killed = {"ours": False, "naive": False}
        for _ in range(rounds):
            for start in range(1 if quick else STARTS_PER_ROUND):
                for arm, image in (("ours", ours[name]), ("naive", naive[name])):
                    # Quick runs cap the wait: a shell-form CMD is killed anyway, 10 s later.
                    stop_after = (3 if quick else 10) if start == 0 else None
                    first, stop, kill = first_200_and_stop(image, _env(copy), port, health, session, stop_after,
                                                           limits)
                    up[arm].append(first)
                    if stop is not None:
                        down[arm].append(stop)
                    killed[arm] = killed[arm] or kill
                up["bare"].append(bare_first_200(ours[name], port, session, limits))
        result[name] = {"limits": " ".join(limits), "bare": {"first_200": spread(up["bare"])},
                        **{arm: {"first_200": spread(up[arm]), "stop": spread(down[arm]), "killed": killed[arm]}
                           for arm in ("ours", "naive")}}
    return result


def _load(copy: Project, kinds: dict[str, str], ours: dict[str, str], naive: dict[str, str], session: str,
          requests: int, rounds: int) -> dict[str, Any]:
    """Each arm `rounds` times, the arms taking turns (a noisy neighbour then hits both
    alike): the median rate with its spread, and every error of every round."""
    result: dict[str, Any] = {}
    for name in (n for n, kind in sorted(kinds.items()) if kind in LIMITS):
        port = copy.target(name).port
        result[name] = {"limits": " ".join(LIMITS[kinds[name]]), "requests": requests}
        runs: dict[str, list[dict[str, float]]] = {"ours": [], "naive": []}
        for _ in range(rounds):
            for arm, image in (("ours", ours[name]), ("naive", naive[name])):
                runs[arm].append(load(image, _env(copy), port, copy.manifest.smoke.health, session,
                                      LIMITS[kinds[name]], requests))
        for arm, measured in runs.items():
            result[name][arm] = load_summary(measured)
    return result


def _zips(copy: Project, kinds: dict[str, str]) -> dict[str, Any]:
    """Our zip, and the naive one: the whole app folder zipped as it is."""
    ours = {name: (copy.build_dir / f"{name}.zip").stat().st_size for name, kind in kinds.items() if kind == "functions"}
    naive_zip = copy.build_dir.parent / "naive.zip"
    with zipfile.ZipFile(naive_zip, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in copy.app_dir.rglob("*") if p.is_file() and copy.build_dir not in p.parents):
            zf.write(path, path.relative_to(copy.app_dir).as_posix())
    return {"ours": ours, "naive": naive_zip.stat().st_size}


def _scale(path: Path, bases: tuple[str, str], run_id: str, session: str, salted: list[str],
           figures: dict[str, Any], rounds: int) -> dict[str, Any]:
    """Cold build, no-op and smoke of a 16-target manifest (four of each target), against the
    4-target figures: medians over as many rounds as those, each cold on bases of its own; and
    the smoke of 16 targets no two of which are alike."""
    data = yaml.safe_load(path.read_text())
    data["targets"] = {f"{name}-{i}": dict(settings) for name, settings in data["targets"].items() for i in range(1, 5)}
    big = path.with_name("targets-16.yaml")
    big.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    runs: dict[str, list[tuple[float, float | None]]] = {"cold": [], "noop": [], "smoke": []}
    for _ in range(rounds):
        _fresh_bases(big, bases, run_id, salted)
        # With the machine's busy CPU over each: CPU-seconds over cores is the least wall time
        # that much work takes here (bench_report shows it beside the figure).
        runs["cold"].append(arms.invoke_cpu("build", "--manifest", str(big), session=session))
        runs["noop"].append(arms.invoke_cpu("build", "--manifest", str(big), session=session))
        runs["smoke"].append(arms.invoke_cpu("smoke", "--force", "--manifest", str(big), session=session))
    # Four of each target are alike, and smoke runs one of each four (smoke/same_run.py). The
    # same copies, each with a port of its own, are 16 runs: what 16 targets cost when no two are alike.
    for i, settings in enumerate(data["targets"].values()):
        settings["port"] = 8080 + i
    distinct = path.with_name("targets-16-distinct.yaml")
    distinct.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    arms.invoke("build", "--manifest", str(distinct), session=session)
    runs["smoke_distinct"] = [arms.invoke_cpu("smoke", "--force", "--manifest", str(distinct), session=session)
                              for _ in range(rounds)]
    median = {key: _median_run(measured) for key, measured in runs.items()}
    four = {"cold": figures["build"]["ours"]["cold"]["median"], "noop": figures["build"]["ours"]["noop"]["median"],
            "smoke": figures["smoke"]["ours"]["median"]}
    four["smoke_distinct"] = four["smoke"]
    return {"targets": len(data["targets"]), "rounds": rounds, **{key: wall for key, (wall, _) in median.items()},
            "spread": {key: [min(w for w, _ in measured), max(w for w, _ in measured)] for key, measured in runs.items()},
            "ratio": {key: median[key][0] / four[key] for key in runs},
            "cpu": {key: cpu for key, (_, cpu) in median.items()}, "cores": os.cpu_count() or 1}
