"""invoke smoke: run each built target as its platform would, check, report parity."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict

from .errors import SmokeFailed
from .kinds import KINDS
from .manifest import Project
from .record import BuildRecord, atomic_write, tree_hash
from .smokerun import Result, SmokeRun

REPORT = "smoke.json"
MARKS = {"pass": "ok", "fail": "FAIL", "differs": "differs*"}


def smoke(project: Project, target: str, env: str | None, progress: Callable[[str], None] = print) -> SmokeRun:
    selected = project.select(target)
    env_name, _ = project.environment(env)
    run = SmokeRun(project, env_name, progress)
    records: dict[str, BuildRecord] = {}
    for name, settings in selected:
        records[name] = record = BuildRecord.load(project.build_dir, name)
        if record.inputs != tree_hash(project.build_dir / name):
            raise SmokeFailed(f"{name}: build/{name}/ changed since it was built; run `invoke build --target {name}`")
        progress(f"{name}: smoke ({settings.kind}, env {env_name}) ...")
        KINDS[settings.kind].smoke(record, run)
    progress("")
    progress(matrix(run.results))
    write_report(project, run, records)
    failed = [r for r in run.results if r.status == "fail"]
    if failed:
        for where, logs in run.logs.items():
            progress(f"--- last log lines of {where} ---\n{logs.rstrip()}")
        first = failed[0]
        raise SmokeFailed(
            f"smoke failed: {len(failed)} check(s) failed, first {first.target} [{first.variant}] {first.check}: "
            f"expected {first.expected}; got {first.got} (see build/{REPORT})"
        )
    return run


def matrix(results: list[Result]) -> str:
    """Targets x checks; a target fails a check if any of its variants does."""
    checks = list(dict.fromkeys(r.check for r in results))
    targets = list(dict.fromkeys(r.target for r in results))
    rank = {"pass": 0, "differs": 1, "fail": 2}
    cells: dict[tuple[str, str], str] = {}
    notes: dict[str, str] = {}
    for r in results:
        key = (r.target, r.check)
        if key not in cells or rank[r.status] > rank[cells[key]]:
            cells[key] = r.status
        if r.status == "differs":
            notes[f"{r.target} {r.check}"] = r.note
    width = max([len(t) for t in targets] + [6])
    cols = [max(len(c), 8) for c in checks]
    lines = ["parity".ljust(width) + "  " + "  ".join(c.ljust(w) for c, w in zip(checks, cols, strict=True))]
    for t in targets:
        row = [MARKS.get(cells.get((t, c), ""), "-").ljust(w) for c, w in zip(checks, cols, strict=True)]
        lines.append(t.ljust(width) + "  " + "  ".join(row))
    lines += [f"* differs by platform: {where}: {why}" for where, why in notes.items()]
    return "\n".join(lines)


def write_report(project: Project, run: SmokeRun, records: dict[str, BuildRecord]) -> None:
    path = project.build_dir / REPORT
    previous = json.loads(path.read_text()) if path.exists() else {"targets": {}}
    for name, record in records.items():
        mine = [r for r in run.results if r.target == name]
        previous["targets"][name] = {
            "passed": bool(mine) and all(r.status != "fail" for r in mine),
            "env": run.env_name,
            "inputs": record.inputs,
            "images": record.images,
            "archives": record.archives,
            "results": [asdict(r) for r in mine],
        }
    atomic_write(path, json.dumps(previous, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
