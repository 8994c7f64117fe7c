"""invoke smoke: run each built target as its platform would, check, report parity."""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import nullcontext
from dataclasses import asdict

from ..errors import SmokeFailed
from ..files import atomic_write
from ..kinds import TargetSettings
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..records import BuildRecord, folder_hash
from ..smoke import parity
from ..smoke.report import Result, matrix, passed
from ..smoke.session import RELEASE_HINT, SmokeRun
from ..ui.progress import Reporter
from .fanout import default_jobs, run_each

REPORT = "smoke.json"


def smoke(project: Project, target: str | list[str], env: str | None, report: Reporter | None = None, *,
          force: bool = False, jobs: int | None = None) -> SmokeRun:
    """Smoke the selected targets, `jobs` at a time (default: one per core); then parity,
    the matrix and build/smoke.json, written once, by this thread, for every target."""
    started = time.monotonic()
    selected = project.select(target)
    env_name, _ = project.environment(env)
    with nullcontext(report) if report is not None else Reporter() as shown:
        assert shown is not None
        run = SmokeRun(project, env_name, shown)
        records = {name: _built(project, name) for name, _ in selected}
        previous = read_report(project)["targets"]
        for name, _ in selected:
            shown.target(name)
        runs = run_each({name: (lambda name=name, settings=settings: _smoke_target(
            run, records[name], settings, previous.get(name), force, shown)) for name, settings in selected},
            jobs or default_jobs(), shown)
        for name, _ in selected:  # in target order, however the threads finished
            run.results.extend(runs[name].results)
            run.logs.update(runs[name].logs)
        _parity_and_report(run, selected, records, time.monotonic() - started, shown)
    return run


def _built(project: Project, name: str) -> BuildRecord:
    record = BuildRecord.load(project.build_dir, name)
    if record.inputs != folder_hash(project.build_dir / name):
        raise SmokeFailed(f"{name}: build/{name}/ changed since it was built; run `invoke build --target {name}`")
    return record


def _smoke_target(parent: SmokeRun, record: BuildRecord, settings: TargetSettings, previous: dict | None,
                  force: bool, report: Reporter) -> SmokeRun:
    """One target, on its own thread: a cached pass, or its kind's smoke; never raises SmokeFailed."""
    name = record.target
    run = parent.fork(report.target(name))
    if not force and _passed_with(previous, cache_key(record, run)):
        assert previous is not None
        run.results.extend(Result(**r) for r in previous["results"] if r["variant"] != parity.VARIANT)
        report.finish(name, "passed before with these very inputs, checks and env (cached; --force reruns it)")
        return run
    started = time.monotonic()
    report.phase(name, f"smoke ({settings.kind}, env {run.env_name})", since=started)
    try:
        behaviour(settings.kind).smoke(record, run)
    except SmokeFailed as exc:
        # An infrastructure failure (the engine refused a container, compose
        # failed) fails this target with the reason; the others still run.
        run.record(name, "infrastructure", "start", False, "the platform's runtime starts", exc.message)
        if exc.detail:
            run.logs[f"{name} [infrastructure]"] = exc.detail
    failed = sum(r.status == "fail" for r in run.results)
    took = f" in {time.monotonic() - started:.1f} s"
    report.finish(name, (f"{len(run.results)} checks, {failed} failed" if failed else f"{len(run.results)} checks passed")
                  + took, ok=not failed)
    return run


def _parity_and_report(run: SmokeRun, selected: list[tuple[str, TargetSettings]], records: dict[str, BuildRecord],
                       seconds: float, report: Reporter) -> None:
    differences = {name: behaviour(settings.kind).differences for name, settings in selected}
    for result in parity.compare(run.results, differences):
        run.results.append(result)
        mark = "FAIL" if result.status == "fail" else "differs by platform"
        report.print(f"  {result.target} [parity] {result.check}: {mark} (expected {result.expected}; got {result.got})")
    report.print("")
    report.print(matrix(run.results, seconds))
    write_report(run.project, run, records)
    failed = [r for r in run.results if r.status == "fail"]
    if failed:
        for where, logs in run.logs.items():
            report.print(f"--- last log lines of {where} ---\n{logs.rstrip()}")
        first = failed[0]
        released = any(r.target == first.target and r.check == "release" and r.status == "pass" for r in run.results)
        raise SmokeFailed(
            f"smoke failed: {len(failed)} check(s) failed, first {first.target} [{first.variant}] {first.check}: "
            f"expected {first.expected}; got {first.got} (see build/{REPORT})"
            + (RELEASE_HINT if released and first.check != "release" and RELEASE_HINT not in first.got else "")
        )


def cache_key(record: BuildRecord, run: SmokeRun) -> str:
    """What a verdict depends on: the build (its key and files), the environment,
    and the suite itself (checks, health path, the static file's bytes)."""
    suite = run.suite
    parts = [record.key, record.inputs, run.env_name, json.dumps(dict(suite.env), sort_keys=True), suite.health,
             json.dumps([c.model_dump(mode="json") for c in suite.checks], sort_keys=True), str(suite.static_url),
             hashlib.sha256(suite.static_bytes).hexdigest(), json.dumps(run.project.manifest.smoke.url_echo)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _passed_with(entry: dict | None, key: str) -> bool:
    # A record without a key (never keyed, or an older one) is never a cached pass.
    return bool(entry and entry.get("passed") and entry.get("cache_key") == key and key and entry.get("results"))


def read_report(project: Project) -> dict:
    path = project.build_dir / REPORT
    return json.loads(path.read_text()) if path.exists() else {"targets": {}}


def write_report(project: Project, run: SmokeRun, records: dict[str, BuildRecord]) -> None:
    report = read_report(project)
    for name, record in records.items():
        report["targets"][name] = {
            "passed": passed(run.results, name),
            "env": run.env_name,
            "inputs": record.inputs,
            "images": record.images,
            "archives": record.archives,
            "results": [asdict(r) for r in run.results if r.target == name],
            "cache_key": cache_key(record, run),
        }
    atomic_write(project.build_dir / REPORT, json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
