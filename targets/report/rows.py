"""One row per target for the end-of-task summary, read from the records on disk.

Reading the records (not the command's internals) keeps the summary right
however the commands run their targets, and lets it be printed when a task
fails half-way: a target whose record did not move in this run says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import docker_client
from ..errors import FlaskshipError
from ..manifest import Project
from ..records import BuildRecord


@dataclass
class Row:
    target: str
    kind: str
    verdict: str  # built, up to date, pass, cached, published, would push, FAIL, not run
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # role, ref/path, id/digest/sha256, size
    seconds: float | None = None
    time_label: str = ""  # what `seconds` measures: build, boot, push (without seconds: the time cell itself)
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict != "FAIL"


def read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def build_record(project: Project, name: str) -> BuildRecord | None:
    try:
        return BuildRecord.load(project.build_dir, name)
    except FlaskshipError:
        return None


def image_size(image_id: str) -> int | None:
    try:
        return docker_client.image_size(image_id)
    except Exception:  # noqa: BLE001 - a summary never fails a task: the engine may be gone
        return None


def artifacts(record: BuildRecord) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for role, image in sorted(record.images.items()):
        found.append({"role": role, "ref": image["ref"], "id": image["id"], "size": image_size(image["id"])})
    for role, archive in sorted(record.archives.items()):
        found.append({"role": role, "path": archive["path"], "sha256": archive["sha256"], "size": archive["size"]})
    return found


def failed_target(error: BaseException | None, names: list[str]) -> str | None:
    """The target an error names: every error about one target starts `<name>: `."""
    message = getattr(error, "message", "") or ""
    return next((n for n in names if message.startswith(f"{n}: ")), None)


def boot_seconds(results: list[dict[str, Any]]) -> float | None:
    """The first cold start smoke measured (`boot`, got `0.42 s`)."""
    for result in results:
        if result.get("check") == "boot" and result.get("status") == "pass":
            try:
                return float(str(result.get("got", "")).split()[0])
            except (ValueError, IndexError):
                continue
    return None
