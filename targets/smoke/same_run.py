"""Targets whose smoke would be the very same run: the first runs it, the others take its verdict.

Copies of one target that differ only in their names and in where they publish
(two regions, two projects: registry, auth and tags are publish-only) build the
same layers, and smoke would run them with the same settings, environment,
services and checks. Running each again proves nothing the first run did not,
and costs a container start and the whole suite per copy.

What must be equal, so that nothing a run depends on can differ:
- the kind, and the target's slice of targets.yaml apart from its name (which
  reaches a run only in container names and labels);
- per image: its whole config (command, environment, user, ports, healthcheck,
  ...) but for the label naming its target, and what it is made of: the same
  image under the target's own steps, and those steps (run_identity);
- each archive's bytes (the functions zip);
- everything a cached verdict depends on too (commands/smoke.py's cache key:
  the environment, the checks, the static file, the services as declared).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..engine import docker_client
from ..records import BuildRecord
from .session import SmokeRun

# Stands for each target's own name where two targets' slices are compared.
ANY_NAME = "\0target"
# Where an image records its target, not what it runs: the label, and the parent id its LABEL step made.
_TARGET_LABEL = f"{docker_client.LABEL}.target"
_BUILD_ONLY = frozenset({"Image", "Hostname"})
_NAMED = re.compile(rf"{re.escape(_TARGET_LABEL)}=(\"[^\"]*\"|\S+)")
# The classic builder's record of a step that ran nothing (metadata, COPY, ADD).
_NO_RUN = "#(nop) "


def originals(built: Mapping[str, BuildRecord], alike: Callable[[BuildRecord], list[str]]) -> dict[str, str]:
    """copy -> the target (earlier in `built`'s order) whose run it would repeat; `alike(record)`:
    the rest a verdict depends on, apart from the target's name. Targets with no other alike are not in it."""
    candidates: dict[str, list[str]] = {}
    for name, record in built.items():
        archives = {role: archive["sha256"] for role, archive in sorted(record.archives.items())}
        candidates.setdefault(_digest([record.kind, json.dumps(archives, sort_keys=True), *alike(record)]),
                              []).append(name)
    same: dict[str, str] = {}
    # The engine is asked about images only where the manifest has copies: the usual
    # targets, each its own, cost smoke no call.
    for names in (names for names in candidates.values() if len(names) > 1):
        first: dict[str, str] = {}
        for name in names:
            key = _digest([json.dumps(_images(built[name]), sort_keys=True)])
            if key in first:
                same[name] = first[key]
            else:
                first[key] = name
    return {name: same[name] for name in built if name in same}


def run_identity(attrs: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What of an image reaches a container run from it: `docker inspect`'s attrs and its
    history (newest step first), apart from its target's name.

    Two copies' own steps (from their LABEL on) make layers whose bytes differ (the classic
    builder keeps each file's time, and the folders' times are the build's): so those steps
    are compared as the builder records them, a COPY or ADD with the hash of what it copied,
    on top of the same image. A RUN there could make other bytes from the same command:
    then the layers themselves are compared, and copies are never alike."""
    config = {k: v for k, v in (attrs.get("Config") or {}).items() if k not in _BUILD_ONLY}
    config["Labels"] = {k: v for k, v in (config.get("Labels") or {}).items() if k != _TARGET_LABEL}
    identity: dict[str, Any] = {"os": attrs.get("Os"), "architecture": attrs.get("Architecture"), "config": config}
    steps = [str(step.get("CreatedBy") or "") for step in history]
    own = next((i for i, step in enumerate(steps) if _NAMED.search(step)), None)
    below = str(history[own + 1].get("Id") or "") if own is not None and own + 1 < len(history) else ""
    if own is not None and below.startswith("sha256:") and all(_NO_RUN in step for step in steps[:own]):
        identity.update({"from": below, "steps": [_NAMED.sub(f"{_TARGET_LABEL}=*", step) for step in steps[:own + 1]]})
    else:
        identity["layers"] = list((attrs.get("RootFS") or {}).get("Layers") or [])
    return identity


def taken(original: SmokeRun, source: str, name: str, progress: Callable[[str], None]) -> SmokeRun:
    """`name`'s share of `source`'s run (`original`): the same results, under its own name."""
    run = original.fork(progress)
    run.results = [replace(r, target=name) for r in original.results if r.target == source]
    run.used = {name: original.used.get(source, {})}
    run.cached = {name} if source in original.cached else set()
    run.same_as = {name: source}
    return run


def _images(record: BuildRecord) -> dict[str, dict[str, Any]]:
    engine = docker_client.client()
    return {role: run_identity((image := engine.images.get(entry["id"])).attrs, image.history())
            for role, entry in sorted(record.images.items())}


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
