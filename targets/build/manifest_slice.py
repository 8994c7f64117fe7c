"""The part of targets.yaml one target's build is made from, and whether it moved.

A build record keeps the hash of its target's slice: everything in the manifest
but the other targets, smoke's settings other than its health path (they shape
verdicts, never artifacts) and the publish-only keys (registry, auth, tags, and
each kind's own: its settings' publish_only). Smoke compares it with the
manifest as it is now, so it never runs a build against a manifest that has
since moved on (a compose file publishing the old port while smoke polls the
new one). The freshness key includes it, so the next build always rebuilds.
"""

from __future__ import annotations

import hashlib
import json

from ..errors import SmokeFailed
from ..manifest import Project
from ..records import BuildRecord, folder_hash


def digest(project: Project, name: str, as_name: str | None = None) -> str:
    """The slice's hash; `as_name`: as if the target were called that (smoke/same_run.py
    compares two targets' slices apart from their names)."""
    manifest = project.manifest.model_dump(mode="json", by_alias=True)
    # Of smoke, only the health path reaches an artifact (compose's healthcheck);
    # the rest (checks, boot_within, reset, ...) shapes verdicts, never what is built.
    manifest["smoke"] = {"health": manifest["smoke"]["health"]}
    settings = type(project.target(name))
    target = {k: v for k, v in manifest["targets"][name].items() if k not in settings.publish_only}
    if not settings.builds_services:
        # Services reach this kind only at run time: a new version or setting builds nothing new.
        manifest.pop("services", None)
        manifest["defaults"].pop("services", None)
        target.pop("services", None)
    manifest["targets"] = {name if as_name is None else as_name: target}
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def refuse_stale(project: Project, name: str) -> BuildRecord:
    """The target's build record, or SmokeFailed naming the fix if build/<name>/ or
    its slice of the manifest changed since it was built."""
    record = BuildRecord.load(project.build_dir, name)
    fix = f"run `invoke build --target {name}`"
    if record.inputs != folder_hash(project.build_dir / name):
        raise SmokeFailed(f"{name}: build/{name}/ changed since it was built; {fix}")
    if record.manifest != digest(project, name):
        raise SmokeFailed(f"{name}: {project.path.name} changed for this target since it was built "
                          f"(its app, defaults, environments, smoke.health or targets.{name}); {fix}")
    return record
