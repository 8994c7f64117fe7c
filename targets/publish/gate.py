"""The publish gate: a target is published only as it passed smoke.

Pure: it compares the smoke report's entry with the build record and the
current content hash of build/<target>/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import PublishFailed
from ..records import BuildRecord


def problem(smoked: Mapping[str, Any] | None, record: BuildRecord, current: str, name: str) -> str | None:
    """Why `name` may not be published, or None."""
    if smoked is None:
        return f"was never smoked; run `invoke smoke --target {name}`"
    if not smoked.get("passed"):
        return "failed its last smoke; fix it and run `invoke smoke` again"
    if smoked.get("inputs") != record.inputs or record.inputs != current or smoked.get("images") != record.images:
        return f"changed since it passed smoke; run `invoke smoke --target {name}` again"
    return None


def check(smoked: Mapping[str, Any] | None, record: BuildRecord, current: str, name: str, force: bool) -> None:
    why = problem(smoked, record, current, name)
    if why and not force:
        raise PublishFailed(f"{name}: {why} (or pass --force to publish anyway)")
