"""The release record's `sbom` field: where each published artifact's SBOM is, and its sha256."""

from __future__ import annotations

from typing import Any

from ..manifest import Project
from ..records import BuildRecord


def entry(project: Project, target: str) -> dict[str, Any]:
    """{"sbom": {role: {path, format, sha256}}} for a built target; {} when its build made none."""
    record = BuildRecord.load(project.build_dir, target)
    found = {role: {"path": f"build/{target}/{sbom['path']}", "format": sbom["format"], "sha256": sbom["sha256"]}
             for role, sbom in sorted(record.sboms.items())}
    return {"sbom": found} if found else {}
