"""The publish gate: a target is published only as it passed smoke, and only
for an environment it passed smoke in (the app ran with those variables).

Pure: it compares the smoke report's entry with the build record and the
current content hash of build/<target>/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import PublishFailed
from ..records import BuildRecord, smoked_in


def problem(entry: Mapping[str, Any] | None, record: BuildRecord, current: str, name: str, env: str) -> str | None:
    """Why `name` may not be published for `env`, or None."""
    if entry is None:
        return f"was never smoked; run `invoke smoke --target {name} --env {env}`"
    smoked = smoked_in(entry, env)
    if smoked is None:
        tried = sorted(entry.get("environments") or {}) or [str(entry.get("env"))]
        return (f"was smoked for environment {', '.join(tried)}, not for {env!r}; "
                f"run `invoke smoke --target {name} --env {env}`")
    if not smoked.get("passed"):
        return "failed its last smoke; fix it and run `invoke smoke` again"
    if smoked.get("inputs") != record.inputs or record.inputs != current or smoked.get("images") != record.images:
        return f"changed since it passed smoke; run `invoke smoke --target {name} --env {env}` again"
    return None


def check(entry: Mapping[str, Any] | None, record: BuildRecord, current: str, name: str, force: bool,
          env: str) -> None:
    why = problem(entry, record, current, name, env)
    if why and not force:
        raise PublishFailed(f"{name}: {why} (or pass --force to publish anyway)")
