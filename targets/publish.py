"""invoke publish: push exactly what passed smoke, verify it, write the release record.

Nothing is rebuilt. A target is published only if build/smoke.json says it
passed for the very build inputs now in build/<target>/ (or with --force).
build/release.json is written atomically, and only when every step succeeded.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from . import gcs, heroku_api, registry, registry_api
from .errors import PublishFailed
from .manifest import Project
from .record import BuildRecord, atomic_write, tree_hash
from .smoke import REPORT

RELEASE = "release.json"


@dataclass
class Step:
    target: str
    kind: str
    what: str  # image id or zip path
    where: str  # repository or gs://bucket/object
    variable: str  # the credentials variable
    role: str = "app"
    sha256: str = ""  # of the zip, for role "zip"
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def variable_set(self) -> bool:
        return bool(os.environ.get(self.variable))


def publish(project: Project, target: str, env: str | None, *, dry_run: bool = False, force: bool = False,
            release: bool = False, progress: Callable[[str], None] = print) -> dict[str, Any]:
    env_name, environment = project.environment(env)
    sha = git_sha(project.root)
    steps = [step for name, settings in project.select(target) for step in plan(project, name, settings, sha, force)]
    if dry_run:
        for s in steps:
            state = "set" if s.variable_set else "NOT SET"
            progress(f"would push {s.target} {s.role} {s.what[:19]} -> {s.where} using ${s.variable} ({state})")
        return {}
    record: dict[str, Any] = {"git_sha": sha, "environment": env_name,
                              "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "targets": {}}
    for s in steps:
        entry = record["targets"].setdefault(s.target, {"kind": s.kind})
        entry.update(_run(project, s, sha, release, progress))
    record["commands"] = deploy_commands(project, record, environment.env)
    atomic_write(project.build_dir / RELEASE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    progress(f"wrote build/{RELEASE}; deploy with:")
    for command in record["commands"]:
        progress(f"  {command}")
    return record


def plan(project: Project, name: str, settings: Any, sha: str, force: bool) -> list[Step]:
    record = BuildRecord.load(project.build_dir, name)
    _gate(project, name, record, force)
    if settings.kind == "functions":
        if not settings.bucket:
            raise PublishFailed(f"{project.path.name}: targets.{name}.bucket is not set; name the bucket to upload to")
        archive = record.archives["zip"]
        obj = f"{name}-{str(archive['sha256'])[:16]}.zip"
        return [Step(name, settings.kind, str(archive["path"]), f"gs://{settings.bucket}/{obj}", settings.token_env, "zip",
                     str(archive["sha256"]))]
    repository, auth = settings.repository(), settings.credentials()
    if not repository or auth is None:
        raise PublishFailed(f"{project.path.name}: targets.{name}.registry and targets.{name}.auth must be set to publish")
    return [Step(name, settings.kind, image["id"], repository if role == "app" else f"{repository}-{role}",
                 auth.password_env, role) for role, image in sorted(record.images.items())]


def _gate(project: Project, name: str, record: BuildRecord, force: bool) -> None:
    report_path = project.build_dir / REPORT
    smoked = json.loads(report_path.read_text()).get("targets", {}).get(name) if report_path.exists() else None
    current = tree_hash(project.build_dir / name)
    problem = None
    if smoked is None:
        problem = "was never smoked; run `invoke smoke --target " + name + "`"
    elif not smoked["passed"]:
        problem = "failed its last smoke; fix it and run `invoke smoke` again"
    elif smoked["inputs"] != record.inputs or record.inputs != current or smoked["images"] != record.images:
        problem = "changed since it passed smoke; run `invoke smoke --target " + name + "` again"
    if problem and not force:
        raise PublishFailed(f"{name}: {problem} (or pass --force to publish anyway)")


def _run(project: Project, s: Step, sha: str, release: bool, progress: Callable[[str], None]) -> dict[str, Any]:
    secret = os.environ.get(s.variable)
    if not secret:
        raise PublishFailed(f"{s.target}: ${s.variable} is not set; export it (it holds the credentials for {s.where})")
    if s.role == "zip":
        bucket, _, obj = s.where.removeprefix("gs://").partition("/")
        path = project.root / s.what
        sent = gcs.upload(path, bucket, obj, secret, s.variable, s.target)
        progress(f"{s.target}: {'uploaded' if sent else 'already present:'} {s.where}")
        return {"object": s.where, "sha256": s.sha256}
    settings = project.target(s.target)
    auth = settings.credentials()
    login = registry.Login(os.environ.get(auth.username_env, "") if auth.username_env else auth.username, secret, s.variable)
    digest = ""
    for tag in [sha, *settings.tags]:
        digest = _push_tag(s, tag, login, progress)
    progress(f"{s.target}: {s.where}@{digest}")
    result: dict[str, Any] = {f"image{'' if s.role == 'app' else '_' + s.role}": f"{s.where}@{digest}"}
    if release and s.kind == "heroku":
        result["release"] = heroku_api.release(settings.api, settings.app, s.what, secret, s.variable, s.target)
        progress(f"{s.target}: {result['release']}")
    return result


def _push_tag(s: Step, tag: str, login: registry.Login, progress: Callable[[str], None]) -> str:
    """Push one tag unless it already names this image; verify what the registry now holds."""
    present = registry_api.already_there(s.what, s.where, tag, login, s.target)
    if present:
        progress(f"{s.target}: {s.where}:{tag} already names this image; nothing to push")
        return present
    progress(f"{s.target}: pushing {s.role} to {s.where}:{tag} ...")
    pushed = registry.push(s.what, s.where, tag, login, s.target, progress)
    try:
        found = registry_api.manifest(s.where, tag, login, s.target)
    except requests.RequestException as exc:
        raise PublishFailed(f"{s.target}: cannot reach {s.where} to verify :{tag} ({type(exc).__name__})") from None
    if found is None:
        raise PublishFailed(f"{s.target}: {s.where}:{tag} is missing from the registry right after the push")
    remote, media_type = found
    if remote != pushed:
        raise PublishFailed(f"{s.target}: {s.where}:{tag} has digest {remote}, but docker pushed {pushed}")
    if s.kind == "heroku" and media_type != registry_api.DOCKER_V2:
        raise PublishFailed(f"{s.target}: {s.where}:{tag} is {media_type}; Heroku accepts only Docker v2 schema 2")
    return pushed


def deploy_commands(project: Project, record: dict[str, Any], env: dict[str, str]) -> list[str]:
    env_flag = ",".join(f"{k}={v}" for k, v in sorted(env.items()))
    commands = []
    for name, entry in sorted(record["targets"].items()):
        settings = project.target(name)
        if entry["kind"] == "cloudrun":
            commands.append(f"gcloud run deploy {settings.service_id} --image {entry['image']} "
                            f"--region {settings.region} --set-env-vars {env_flag}")
            commands.append(f"(cd build/{name} && firebase deploy --only hosting)")
        elif entry["kind"] == "functions":
            commands.append(f"gcloud functions deploy {name} --runtime python312 --region {settings.region} "
                            f"--source {entry['object']} --entry-point {settings.entry_point} --trigger-http "
                            f"--set-env-vars {env_flag}")
        elif entry["kind"] == "heroku" and "release" not in entry:
            commands.append(f"heroku container:release web --app {settings.app}  # or: invoke publish --release")
        elif entry["kind"] == "compose":
            commands.append(f"docker pull {entry['image']} && docker pull {entry['image_nginx']}")
    return commands


def git_sha(root: Path) -> str:
    result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else "nogit"
