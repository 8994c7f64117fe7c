"""invoke smoke: run each built target as its platform would, check, report parity."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict

from ..build import manifest_slice
from ..errors import SmokeFailed
from ..files import atomic_write
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..records import BuildRecord
from ..smoke import parity
from ..smoke.report import Result, matrix, passed
from ..smoke.session import RELEASE_HINT, SmokeRun

REPORT = "smoke.json"


def smoke(project: Project, target: str | list[str], env: str | None, progress: Callable[[str], None] = print,
          force: bool = False) -> SmokeRun:
    started = time.monotonic()
    selected = project.select(target)
    env_name, _ = project.environment(env)
    run = SmokeRun(project, env_name, progress)
    previous = read_report(project)["targets"]
    # Refuse before anything runs: a stale target would be smoked against the wrong manifest.
    records: dict[str, BuildRecord] = {name: manifest_slice.refuse_stale(project, name) for name, _ in selected}
    for name, settings in selected:
        record = records[name]
        key = cache_key(record, run)
        if not force and _passed_with(previous.get(name), key):
            run.results.extend(Result(**r) for r in previous[name]["results"] if r["variant"] != parity.VARIANT)
            progress(f"{name}: passed before with these very inputs, checks and env (cached; --force reruns it)")
            continue
        progress(f"{name}: smoke ({settings.kind}, env {env_name}) ...")
        try:
            behaviour(settings.kind).smoke(record, run)
        except SmokeFailed as exc:
            # An infrastructure failure (the engine refused a container, compose
            # failed) fails this target with the reason; the others still run.
            run.record(name, "infrastructure", "start", False, "the platform's runtime starts", exc.message)
            if exc.detail:
                run.logs[f"{name} [infrastructure]"] = exc.detail
    differences = {name: behaviour(settings.kind).differences for name, settings in selected}
    for result in parity.compare(run.results, differences):
        run.results.append(result)
        mark = "FAIL" if result.status == "fail" else "differs by platform"
        progress(f"  {result.target} [parity] {result.check}: {mark} (expected {result.expected}; got {result.got})")
    progress("")
    progress(matrix(run.results, time.monotonic() - started))
    write_report(project, run, records)
    failed = [r for r in run.results if r.status == "fail"]
    if failed:
        for where, logs in run.logs.items():
            progress(f"--- last log lines of {where} ---\n{logs.rstrip()}")
        first = failed[0]
        released = any(r.target == first.target and r.check == "release" and r.status == "pass" for r in run.results)
        raise SmokeFailed(
            f"smoke failed: {len(failed)} check(s) failed, first {first.target} [{first.variant}] {first.check}: "
            f"expected {first.expected}; got {first.got} (see build/{REPORT})"
            + (RELEASE_HINT if released and first.check != "release" and RELEASE_HINT not in first.got else "")
        )
    return run


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
