"""invoke publish: push exactly what passed smoke, verify it, write the release record.

Nothing is rebuilt. A target is published only if build/smoke.json says it
passed for the very build inputs now in build/<target>/ (or with --force).
Each kind pushes or uploads its own artifacts and names its own deploy
commands; build/release.json is written atomically, only when every step succeeded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..errors import PublishFailed
from ..files import atomic_write
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..publish import gate, sbom
from ..publish.steps import Deploy, PublishContext, Step
from ..records import BuildRecord, folder_hash, load_smoke
from . import preflight

RELEASE = "release.json"


def publish(project: Project, target: str | list[str], env: str | None, *, dry_run: bool = False, check: bool = False,
            force: bool = False, release: bool = False, allow_standin: bool = False,
            progress: Callable[[str], None] = print) -> dict[str, Any]:
    env_name, environment = project.environment(env)
    tag = preflight.release_tag(project.root)
    names = [name for name, _ in project.select(target)]
    if dry_run or check:
        planned = preflight.plan(project, names, tag, env_name, force=force, allow_standin=allow_standin, config_only=check)
        preflight.show(planned, progress)
        preflight.refuse(planned)
        return {"plan": planned}
    if tag.endswith("-dirty"):
        progress(f"note: the work tree has uncommitted changes; images are tagged {tag}")
    steps = [step for name in names for step in plan(project, name, force, env_name)]
    for step in steps:
        problem = preflight.standin_problem(step)
        if problem:
            progress(f"warning: {step.target}: {problem.partition('; ')[0]}")
            if not allow_standin:
                raise PublishFailed(f"{step.target}: {problem}")
    ctx = PublishContext(project, tag, release, progress)
    record: dict[str, Any] = {"git_sha": tag.removesuffix("-dirty"), "tag": tag, "dirty": tag.endswith("-dirty"),
                              "environment": env_name,
                              "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "targets": {}}
    for s in steps:
        started = time.monotonic()
        entry = record["targets"].setdefault(s.target, {"kind": s.kind})
        entry.update(behaviour(s.kind).publish(s, ctx))
        entry["seconds"] = round(entry.get("seconds", 0) + time.monotonic() - started, 2)
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


git_sha = preflight.git_sha
