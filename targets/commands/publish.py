"""invoke publish: push exactly what passed smoke, verify it, write the release record.

Nothing is rebuilt. A target is published only if build/smoke.json says it
passed for the very build inputs now in build/<target>/ (or with --force).
Each kind pushes or uploads its own artifacts and names its own deploy
commands; build/release.json is written atomically, only when every step succeeded.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..files import atomic_write
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..publish import gate, sbom
from ..publish.steps import Deploy, PublishContext, Step
from ..records import BuildRecord, folder_hash, load_smoke

RELEASE = "release.json"


def publish(project: Project, target: str | list[str], env: str | None, *, dry_run: bool = False, force: bool = False,
            release: bool = False, progress: Callable[[str], None] = print) -> dict[str, Any]:
    env_name, environment = project.environment(env)
    sha = git_sha(project.root)
    steps = [step for name, _ in project.select(target) for step in plan(project, name, force, env_name)]
    if dry_run:
        for s in steps:
            state = "set" if s.variable_set else "NOT SET"
            progress(f"would push {s.target} {s.role} {s.what[:19]} -> {s.where} using ${s.variable} ({state})")
        return {}
    ctx = PublishContext(project, sha, release, progress)
    record: dict[str, Any] = {"git_sha": sha, "environment": env_name,
                              "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "targets": {}}
    for s in steps:
        entry = record["targets"].setdefault(s.target, {"kind": s.kind})
        entry.update(behaviour(s.kind).publish(s, ctx))
    for name, entry in record["targets"].items():
        entry.update(sbom.entry(project, name))  # what each artifact holds, from its build
    deploy = Deploy(dict(environment.env), project.manifest.defaults.python, project.manifest.app.release)
    record["commands"] = [command for name, entry in sorted(record["targets"].items())
                          for command in behaviour(entry["kind"]).deploy_commands(name, project.target(name), entry, deploy)]
    atomic_write(project.build_dir / RELEASE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    progress(f"wrote build/{RELEASE}; deploy with:")
    for command in record["commands"]:
        progress(f"  {command}")
    return record


def plan(project: Project, name: str, force: bool, env: str) -> list[Step]:
    settings = project.target(name)
    record = BuildRecord.load(project.build_dir, name)
    smoked = load_smoke(project.build_dir)["targets"].get(name)
    gate.check(smoked, record, folder_hash(project.build_dir / name), name, force, env)
    return behaviour(settings.kind).publish_steps(name, settings, record, project.path.name)


def git_sha(root: Path) -> str:
    result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else "nogit"
