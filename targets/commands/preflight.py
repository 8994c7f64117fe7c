"""What publish would do, and every reason it would fail, before it does anything.

`--dry-run` shows the exact tags (or object) per artifact and the state of each
credential variable (set or not, never its value); `--check` looks only at what
CI can know before building (config and credentials). Both collect every
problem instead of stopping at the first, and the caller fails if there is one.
Publish itself calls the same stand-in and tag rules.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from ..engine import docker_client
from ..errors import FlaskshipError, PublishFailed, RecordError
from ..kinds import TargetSettings
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..publish import gate
from ..publish.steps import Step
from ..records import BuildRecord, folder_hash, load_smoke

STANDIN_LABEL = f"{docker_client.LABEL}.stands-in-for"


def git_sha(root: Path) -> str:
    result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else "nogit"


def dirty(root: Path) -> bool:
    """Uncommitted changes (tracked or untracked, ignored files aside) in the work tree."""
    result = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True)
    return result.returncode == 0 and bool(result.stdout.strip())


def release_tag(root: Path) -> str:
    """The commit every image is tagged with; `-dirty` when the tree has uncommitted changes,
    so a tag never claims a commit the image was not built from."""
    sha = git_sha(root)
    return f"{sha}-dirty" if sha != "nogit" and dirty(root) else sha


def credential_variables(settings: TargetSettings, step: Step) -> list[str]:
    auth = settings.credentials()
    names = [step.variable]
    if auth is not None and auth.username_env:
        names.insert(0, auth.username_env)
    return names


def standin(image_id: str) -> str | None:
    """The official base an image's stand-in base replaced, if it was built on one
    (images inherit their base's labels)."""
    try:
        labels = docker_client.client().images.get(image_id).labels or {}
    except Exception:  # noqa: BLE001 - a missing image is the gate's business, not this check's
        return None
    return labels.get(STANDIN_LABEL)


def standin_problem(step: Step) -> str | None:
    if step.role == "zip":
        return None
    official = standin(step.what)
    if official is None:
        return None
    return (f"{step.role} image was built on the local stand-in for {official}, not {official} itself; "
            f"rebuild where {official} can be pulled, or pass --allow-standin")


def tags(step: Step, settings: TargetSettings, tag: str) -> list[str]:
    if step.role == "zip":
        return [step.where]
    return [f"{step.where}:{t}" for t in [tag, *settings.tags]]


def plan(project: Project, names: list[str], tag: str, env: str, *, force: bool, allow_standin: bool,
         config_only: bool) -> list[dict[str, Any]]:
    """One entry per artifact: where it goes, with which tags and variables, and what stands in the way."""
    smoked_all, unreadable = _smoked(project)
    planned: list[dict[str, Any]] = []
    for name in names:
        settings = project.target(name)
        kind = behaviour(settings.kind)
        try:
            record = BuildRecord.load(project.build_dir, name)
            steps = kind.publish_steps(name, settings, record, project.path.name)
        except FlaskshipError as exc:
            planned.append({"target": name, "role": "-", "tags": [], "variables": {}, "problems": [exc.message]})
            continue
        gate_problem = unreadable or gate.problem(smoked_all.get(name), record, folder_hash(project.build_dir / name),
                                                  name, env)
        for step in steps:
            variables = {v: bool(os.environ.get(v)) for v in credential_variables(settings, step)}
            problems = [f"${v} is not set (credentials for {step.where})" for v, ok in variables.items() if not ok]
            if not config_only:
                if gate_problem and not force:
                    problems.append(f"{gate_problem} (or --force)")
                warning = standin_problem(step)
                if warning and not allow_standin:
                    problems.append(warning)
            planned.append({"target": name, "role": step.role, "what": step.what, "tags": tags(step, settings, tag),
                            "variables": variables, "problems": problems})
    return planned


def _smoked(project: Project) -> tuple[dict[str, Any], str | None]:
    """What smoke recorded per target, or why build/smoke.json cannot be read."""
    try:
        return load_smoke(project.build_dir)["targets"], None
    except RecordError as exc:
        return {}, exc.message


def show(planned: list[dict[str, Any]], progress: Any) -> None:
    for entry in planned:
        states = ", ".join(f"${v} {'set' if ok else 'NOT SET'}" for v, ok in entry["variables"].items())
        for where in entry["tags"]:
            progress(f"would push {entry['target']} {entry['role']} -> {where}" + (f" using {states}" if states else ""))
        for problem in entry["problems"]:
            progress(f"  problem: {entry['target']}: {problem}")


def refuse(planned: list[dict[str, Any]]) -> None:
    problems = [f"{e['target']}: {p}" for e in planned for p in e["problems"]]
    if problems:
        more = f" (and {len(problems) - 1} more above)" if len(problems) > 1 else ""
        failure = PublishFailed(f"publish would fail: {problems[0]}{more}")
        failure.result = {"plan": planned}  # type: ignore[attr-defined]  # the summary still shows the plan
        raise failure
